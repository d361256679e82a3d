// A bare CPU for instruction-level tests: flat 32-bit segments, ring 0, paging off.
import { CPU } from '../../../engine/cpu/cpu.ts';
import { runInstructions, step } from '../../../engine/cpu/execute.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { PortBus } from '../../../engine/devices/ports.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';

export const CODE = 0x1000;
export const STACK_TOP = 0x8000;

export function makeCpu(ramBytes = 1 << 20): CPU {
  const cpu = new CPU(new Uint8Array(ramBytes), new PortBus());
  for (let s = 0; s < 6; s++) {
    cpu.segLimit[s] = -1;
    cpu.segAccess[s] = 0;
  }
  cpu.r32[4] = STACK_TOP;
  cpu.updateAccessMasks();
  return cpu;
}

/**
 * Place `code` at CODE and execute until EIP leaves it (or `maxSteps`).
 * Returns the CPU, or the exception that stopped it as `fault`.
 */
export function run(code: number[], setup?: (cpu: CPU) => void, maxSteps = 10_000): CPU & { caught?: CpuException } {
  const cpu: CPU & { caught?: CpuException } = makeCpu();
  cpu.ram.set(code, CODE);
  cpu.eip = CODE;
  setup?.(cpu);
  for (let i = 0; i < maxSteps && cpu.eip >= CODE && cpu.eip < CODE + code.length; i++) {
    try {
      step(cpu);
    } catch (e) {
      if (e instanceof CpuException) {
        cpu.caught = e;
        break;
      }
      throw e;
    }
  }
  return cpu;
}

/** EFLAGS with the given status flags only, for comparisons. */
export function statusFlags(cpu: CPU): number {
  return cpu.getFlags() & 0x8d5;
}

/** run(), returning the CPU and the exception that stopped it (if any) separately. */
export function exec(code: number[], setup?: (cpu: CPU) => void): { cpu: CPU; fault?: CpuException } {
  const cpu = run(code, setup, 100);
  return { cpu, fault: cpu.caught };
}

export const PAGE_DIRECTORY = 0x80000;
export const PAGE_TABLE = 0x81000;

/** Identity-map the first MiB with user, writable 4 KiB pages, then apply `edit` to the PTEs. */
export function enablePaging(cpu: CPU, edit: (pte: Int32Array) => void = () => {}, wp = false): void {
  cpu.ram32[PAGE_DIRECTORY >>> 2] = PAGE_TABLE | 7;
  const pte = cpu.ram32.subarray(PAGE_TABLE >>> 2, (PAGE_TABLE >>> 2) + 1024);
  for (let i = 0; i < 256; i++) pte[i] = (i << 12) | 7;
  edit(pte);
  cpu.cr3 = PAGE_DIRECTORY;
  cpu.cr0 |= 0x80000000 | (wp ? 1 << 16 : 0);
  cpu.flushTlb(false);
}

/** A segment descriptor's two dwords (SDM Figure 3-8): base, limit as the descriptor holds it, access byte, flags (G, D/B). */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const low = ((base & 0xffff) << 16) | (limit & 0xffff);
  const high = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  return [low | 0, high | 0];
}

/** Write `descriptors` (entry 0 first) as a GDT at `base` and point GDTR at it. */
export function loadGdt(cpu: CPU, base: number, descriptors: ReadonlyArray<readonly [number, number]>): void {
  descriptors.forEach(([low, high], i) => { cpu.ram32[(base >>> 2) + 2 * i] = low; cpu.ram32[(base >>> 2) + 2 * i + 1] = high; });
  cpu.gdtBase = base;
  cpu.gdtLimit = 8 * descriptors.length - 1;
}

/** What a run left, for comparing a compiled run with an interpreted one. */
export interface Outcome {
  registers: number[];
  eip: number;
  flags: number;
  retired: number;
  cycles: number[];
  ramHash: number;
  fault: string;
}

/** The CPU's outcome (`fault`: the exception that stopped it, or ''); releases its TLB unless it is to run on. */
export function outcomeOf(cpu: CPU, fault: string, release = true): Outcome {
  let hash = 0;
  const words = cpu.ram32;
  for (let i = 0; i < words.length; i++) hash = (Math.imul(hash, 31) + words[i]!) | 0;
  const after = {
    registers: [...cpu.r32], eip: cpu.eip, flags: cpu.getFlags(), retired: cpu.retired,
    cycles: [cpu.extraCycles, cpu.committedCycles], ramHash: hash, fault,
  };
  if (release) cpu.tlb.release();
  return after;
}

/**
 * Run `cpu` until it has retired `budget` instructions, halts or faults,
 * compiled (a block cache compiling at first sight) or interpreted; what it
 * left, with the fault's vector if one stopped it.
 */
export function runToBudget(cpu: CPU, budget: number, compiled: boolean): Outcome {
  if (compiled) cpu.blocks = new BlockCache(cpu, 1);
  let fault = '';
  try {
    while (cpu.retired < budget && !cpu.halted) {
      // As the machine does: a stop request (a store that dropped compiled code, say) ends a slice, not the run.
      cpu.stopRequested = false;
      runInstructions(cpu, budget);
    }
  } catch (e) {
    if (!(e instanceof CpuException)) throw e;
    fault = `vector ${e.vector}`;
  }
  if (compiled && cpu.blocks!.compiled === 0) throw new Error('nothing ran compiled');
  cpu.blocks?.release();
  return outcomeOf(cpu, fault);
}
