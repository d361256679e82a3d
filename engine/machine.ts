// The lab PC: a CPU, RAM, the devices, and a Multiboot-loaded kernel, run
// until something ends the run. The engine's public face: nothing a guest does
// escapes from here as a host exception.

import { CPU, Seg } from './cpu/cpu.ts';
import { runInstructions } from './cpu/execute.ts';
import { CpuException, MachineStop, Vector, pushesErrorCode, vectorName } from './cpu/exceptions.ts';
import { deliverInterrupt, InterruptKind, isDoubleFault, type Delivery } from './cpu/interrupts.ts';
import { FIXED_ONE } from './cpu/flags.ts';
import { ConfigError, type MachineConfig, type RunResult, type StopReason } from './config.ts';
import { PortBus } from './devices/ports.ts';
import { OutputSink, type OutputSource } from './devices/output.ts';
import { COM1, Uart } from './devices/uart.ts';
import { DebugConsole, DebugExit } from './devices/debug-ports.ts';
import { loadMultiboot } from './boot/multiboot.ts';
import { CR0_PG } from './memory/paging.ts';
import { walkPageTables } from './memory/paging.ts';
import { disassemble } from './inspect/disassemble.ts';

export interface MachineHooks {
  /** Guest output in chunks, in order. */
  onOutput?(chunk: Uint8Array, source: OutputSource): void;
}

const MULTIBOOT_MAGIC = 0x2badb002;
const DEFAULT_RAM_MIB = 32;
/** Instructions run between checks for stop conditions; large enough that the checks cost nothing. */
const SLICE = 1 << 20;

export class Machine {
  readonly cpu: CPU;
  readonly ram: Uint8Array;
  private readonly io = new PortBus();
  private readonly output: OutputSink;
  private readonly debugExit: DebugExit;
  private readonly maxInstructions: number;
  private outputLimitReached = false;
  private finished: RunResult | null = null;

  constructor(config: MachineConfig, hooks: MachineHooks = {}) {
    const ramMiB = config.ramMiB ?? DEFAULT_RAM_MIB;
    if (!Number.isInteger(ramMiB) || ramMiB < 2 || ramMiB > 3072) {
      throw new ConfigError(`RAM size ${ramMiB} MiB is out of range; use 2 to 3072 MiB`);
    }
    this.ram = new Uint8Array(ramMiB * 1024 * 1024);
    this.maxInstructions = config.maxInstructions ?? Number.MAX_SAFE_INTEGER;

    this.output = new OutputSink(
      (chunk, source) => hooks.onOutput?.(chunk, source),
      config.maxOutputBytes ?? Infinity,
      () => {
        this.outputLimitReached = true;
        this.cpu.stopRequested = true;
      },
    );
    this.io.claim(COM1, 8, new Uart(this.output, config.serialInput));
    this.io.claim(0xe9, 1, new DebugConsole(this.output));
    this.debugExit = new DebugExit(() => { this.cpu.stopRequested = true; });
    this.io.claim(0xf4, 1, this.debugExit);

    this.cpu = new CPU(this.ram, this.io);
    const boot = loadMultiboot(this.ram, {
      kernel: config.kernel,
      kernelName: config.kernelName ?? 'kernel',
      modules: config.modules ?? [],
      cmdline: config.cmdline ?? '',
    });
    this.enterMultibootState(boot.entry, boot.infoAddr);
  }

  /** The machine state the Multiboot spec (3.2) promises the kernel at entry. */
  private enterMultibootState(entry: number, infoAddr: number): void {
    const cpu = this.cpu;
    cpu.r32[0] = MULTIBOOT_MAGIC;
    cpu.r32[3] = infoAddr;
    cpu.eip = entry;
    cpu.flags = FIXED_ONE;
    cpu.cr0 = 0x11; // PE, ET; paging off
    for (let seg = 0; seg < 6; seg++) {
      // Flat 4 GiB, 32-bit, DPL 0: code in CS, read/write data elsewhere.
      cpu.segSel[seg] = seg === Seg.CS ? 0x08 : 0x10;
      cpu.segBase[seg] = 0;
      cpu.segLimit[seg] = -1;
      cpu.segAccess[seg] = seg === Seg.CS ? 0xc09b : 0xc093;
    }
    cpu.stack32 = true;
    cpu.updateAccessMasks();
  }

  /** Run until the guest ends the run or a limit is reached. Calling again after the end returns the same result. */
  run(): RunResult {
    if (this.finished) return this.finished;
    const cpu = this.cpu;
    for (;;) {
      if (cpu.retired >= this.maxInstructions) {
        return this.finish('budget', `instruction budget of ${this.maxInstructions} exhausted at ${this.where()}`);
      }
      try {
        runInstructions(cpu, Math.min(cpu.retired + SLICE, this.maxInstructions));
      } catch (e) {
        if (e instanceof CpuException) {
          const result = this.exception(e);
          if (result) return result;
          continue;
        }
        if (e instanceof MachineStop) return this.finish(e.reason, `${e.detail} (at ${this.where()})`);
        return this.finish('unsupported', `internal engine error at ${this.where()}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (cpu.stopRequested) {
        cpu.stopRequested = false;
        if (this.debugExit.status !== null) {
          return this.finish('debug-exit', `guest exited through isa-debug-exit with status ${this.debugExit.status}`, this.debugExit.status);
        }
        if (this.outputLimitReached) return this.finish('output-limit', `output limit of ${this.output.total} bytes reached at ${this.where()}`);
        if (cpu.halted) {
          return this.finish('halt', `HLT at ${this.where(cpu.ip0)} with ${(cpu.flags & 0x200) ? 'no device event pending' : 'interrupts disabled'}`);
        }
      }
    }
  }

  /**
   * Deliver a fault raised by the instruction at CS:EIP, applying the SDM's
   * double-fault rules (Vol. 3, 6.15, Table 6-5); a fault while delivering a
   * double fault is a triple fault, which ends the run with the whole chain.
   */
  private exception(e: CpuException): RunResult | null {
    const cpu = this.cpu;
    const chain: string[] = [`${describeException(e)} at ${this.where()}`];
    let current = e;
    for (let attempt = 0; ; attempt++) {
      try {
        const d = deliverInterrupt(cpu, current.vector, current.errorCode, InterruptKind.Exception, cpu.eip);
        this.emitDelivery(d, current);
        return null;
      } catch (next) {
        if (!(next instanceof CpuException)) throw next;
        chain.push(`delivering it raised ${describeException(next)}`);
        if (current.vector === Vector.DF || attempt > 8) {
          return this.finish('triple-fault', `triple fault: ${chain.join('; ')}${this.recentInstructions()}`);
        }
        current = isDoubleFault(current.vector, next.vector)
          ? new CpuException(Vector.DF, 0, `${vectorName(current.vector)} could not be delivered`)
          : next;
      }
    }
  }

  private emitDelivery(d: Delivery, e: CpuException): void {
    this.cpu.emit?.({
      type: 'interrupt', icount: this.cpu.retired, vector: d.vector,
      kind: d.kind === InterruptKind.External ? 'external' : d.kind === InterruptKind.Software ? 'software' : 'exception',
      errorCode: pushesErrorCode(d.vector) && d.kind === InterruptKind.Exception ? d.errorCode : -1,
      ...(d.vector === Vector.PF ? { cr2: this.cpu.cr2 } : {}),
      fromCpl: d.fromCpl, toCpl: d.toCpl, fromCs: d.fromCs, fromEip: d.fromEip, toCs: d.toCs, toEip: d.toEip, gate: d.gate,
      ...(e.detail ? { detail: e.detail } : {}),
    });
  }

  /** The last instructions executed, when tracing keeps them; empty otherwise. */
  private recentInstructions(): string {
    return '';
  }

  private finish(reason: StopReason, message: string, exitStatus?: number): RunResult {
    this.output.flush();
    this.finished = { reason, message, instructions: this.cpu.retired, ...(exitStatus !== undefined ? { exitStatus } : {}) };
    return this.finished;
  }

  /** "CS:EIP instruction" for diagnostics. */
  where(eip = this.cpu.eip): string {
    const cpu = this.cpu;
    const loc = `${hex(cpu.segSel[Seg.CS], 4)}:${hex(eip)}`;
    const bytes = this.peekLinear((cpu.segBase[Seg.CS] + eip) | 0, 15);
    if (!bytes) return `${loc} (code not mapped)`;
    const insn = disassemble(bytes, eip);
    return `${loc} ${insn.text}`;
  }

  /** Bytes at a linear address as ring 0 would read them, without side effects; null when unmapped. */
  peekLinear(linear: number, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const lin = (linear + i) | 0;
      let phys = lin;
      if (this.cpu.cr0 & CR0_PG) {
        phys = walkPageTables(this.cpu, lin, false, false).physical;
        if (phys === -1) return i === 0 ? null : out.subarray(0, i);
      }
      out[i] = this.cpu.readPhys8(phys);
    }
    return out;
  }
}

function hex(v: number, digits = 8): string {
  return (v >>> 0).toString(16).padStart(digits, '0');
}

function describeException(e: CpuException): string {
  const code = e.errorCode >= 0 && pushesErrorCode(e.vector) ? ` (error code ${hex(e.errorCode, 4)})` : '';
  return `${vectorName(e.vector)}${code}${e.detail ? ` [${e.detail}]` : ''}`;
}
