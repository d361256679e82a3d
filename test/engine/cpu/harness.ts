// A bare CPU for instruction-level tests: flat 32-bit segments, ring 0, paging off.
import { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
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
