// How a machine's run ends, and what the end says: HLT with nothing left to
// wake the CPU, an exception whose delivery fails (a triple fault), the
// budget spent, or whatever else the run loop stops for. The run loop
// (machine.ts) decides when to look; this is where the result is kept, the
// 'end' event sent, and the guest's whereabouts put into words. Exceptions
// are delivered here because a delivery that fails is how a triple fault ends
// the run, and every delivery is charged to the budget that ends the rest.

import { csEip, hexDigits } from './hex.ts';
import { Seg, type CPU } from './cpu/cpu.ts';
import { CpuException, MachineStop, Vector, pushesErrorCode, vectorName } from './cpu/exceptions.ts';
import { deliverInterrupt, deliveryEvent, InterruptKind, isDoubleFault, type Delivery } from './cpu/interrupts.ts';
import { IF, RF } from './cpu/flags.ts';
import type { RunResult, StopReason } from './config.ts';
import type { UncountedEvent } from './events.ts';
import type { OutputSink } from './devices/output.ts';
import type { Board } from './devices/board.ts';
import { disassemble } from './inspect/disassemble.ts';

/** What of the machine a run's end reads and tells. */
export interface RunEndParts {
  cpu: CPU;
  board: Board;
  output: OutputSink;
  /** The budget a run may use. */
  maxInstructions: number;
  /** Virtual time in ticks. */
  now(): number;
  /** True when someone listens to events. */
  watched(): boolean;
  /** Sends an event to the listeners (none while the machine replays). */
  emit(event: UncountedEvent): void;
  /** "; last instructions: ..." (or how to see them), to end a message with. */
  recentInstructionsText(): string;
  /** The machine's peekLinear, which refuses a released machine as every way in does. */
  peekLinear(linear: number, length: number): Uint8Array | null;
}

export class RunEnd {
  /** The run's result once it has ended: asked again, the machine gives the same one. */
  result: RunResult | null = null;

  constructor(private readonly parts: RunEndParts) {}

  /**
   * HLT: with interrupts off nothing can wake the CPU, so the run ends. With
   * interrupts on, virtual time jumps to the next device event. An event
   * that brings no deliverable interrupt ends the run, unless the local APIC
   * timer still has one to come (it may be what the kernel waits for, behind
   * a masked 8259): then time jumps on to it.
   */
  idle(): RunResult | null {
    const { cpu, board } = this.parts;
    if ((cpu.flags & IF) === 0) return this.finish('halt', `HLT with interrupts disabled at ${this.where(cpu.ip0)}`);
    for (;;) {
      const next = board.nextTimerEvent();
      if (next === Infinity) {
        return this.finish('halt', `HLT with interrupts enabled at ${this.where(cpu.ip0)}, but no device is programmed to interrupt`);
      }
      if (next > this.parts.now()) {
        cpu.haltedTicks += next - this.parts.now();
        cpu.idleTicks += next - this.parts.now();
      }
      board.advanceTimers(this.parts.now());
      if (board.interrupts.hasInterrupt()) return null;
      if (board.apic.nextEventTicks() === Infinity) {
        return this.finish('halt', `HLT with interrupts enabled at ${this.where(cpu.ip0)}, but ${board.whyNothingIsDelivered()}`);
      }
    }
  }

  /**
   * Deliver a fault raised by the instruction at CS:EIP, applying the SDM's
   * double-fault rules (Vol. 3, 6.15, Table 6-5); a fault while delivering a
   * double fault is a triple fault, which ends the run with the whole chain.
   */
  exception(e: CpuException): RunResult | null {
    const cpu = this.parts.cpu;
    // Most exceptions are delivered; only a failed delivery needs the text (and disassembly) of where it was.
    const faultCs = cpu.segSel[Seg.CS], faultCsBase = cpu.csBase, faultEip = cpu.eip;
    const chain: string[] = [];
    // SDM 17.3.1.1: a fault's frame has RF set, so that the IRET back to the instruction does not
    // trip an instruction breakpoint on it again; #DB pushes RF as it is (breakpoint faults, traps).
    if (e.vector !== Vector.DB) cpu.flags |= RF;
    let current = e;
    for (let attempt = 0; ; attempt++) {
      try {
        this.delivered(deliverInterrupt(cpu, current.vector, current.errorCode, InterruptKind.Exception, cpu.eip), current.detail);
        return null;
      } catch (next) {
        if (next instanceof MachineStop) return this.finish(next.reason, `${next.detail} (at ${this.where()})`);
        if (!(next instanceof CpuException)) throw next;
        if (chain.length === 0) chain.push(`${describeException(e)} at ${this.describeLocation(faultCs, faultCsBase, faultEip)}`);
        chain.push(`delivering it raised ${describeException(next)}`);
        if (current.vector === Vector.DF || attempt > 8) {
          return this.finish('triple-fault', `triple fault: ${chain.join('; ')}${this.parts.recentInstructionsText()}`);
        }
        current = isDoubleFault(current.vector, next.vector)
          ? new CpuException(Vector.DF, 0, `${vectorName(current.vector)} could not be delivered`)
          : next;
      }
    }
  }

  /**
   * An exception or device interrupt the machine has delivered: an event, not
   * an instruction (SDM 6.1), so the instructions retired and virtual time do
   * not count it, but the budget does, one unit, whatever its source. A fault
   * retires nothing, so without this a handler that faults again (UD2 at the
   * handler, a stack past the end of RAM) would take exceptions forever with
   * the budget standing still; and each delivery costs the engine the work of
   * many instructions (the IDT, GDT and TSS read, a frame pushed). Device
   * interrupts are charged too, so the budget bounds every delivery alike.
   * INT n, INT3 and INTO are not charged here: they are instructions, and
   * retire as such. Deliveries happen between run slices, the same ones
   * compiled or interpreted, so runs stay deterministic.
   */
  delivered(d: Delivery, detail = '', halted?: number): void {
    this.parts.cpu.deliveryCharge++;
    if (this.parts.watched()) this.parts.emit(deliveryEvent(this.parts.cpu, d, detail, halted));
  }

  budgetMessage(): string {
    const cpu = this.parts.cpu;
    // Said when it explains the end: most of the budget went to REP elements and deliveries, not instructions.
    const charges = [
      ...(cpu.repCharge > 0 ? [`a repeated string instruction counts each element, ${cpu.repCharge} more`] : []),
      ...(cpu.deliveryCharge > 0 ? [`each exception or device interrupt delivered counts one, ${cpu.deliveryCharge} more`] : []),
    ];
    const beyond = cpu.repCharge + cpu.deliveryCharge >= cpu.retired ? ` (${cpu.retired} instructions retired; ${charges.join('; ')})` : '';
    return `instruction budget of ${this.parts.maxInstructions} exhausted at ${this.where()}${beyond}`;
  }

  finish(reason: StopReason, message: string, exitStatus?: number): RunResult {
    const cpu = this.parts.cpu;
    this.parts.output.flush();
    this.result = {
      reason, message, instructions: cpu.retired, budgetUsed: cpu.budgetUsed(),
      ...(exitStatus !== undefined ? { exitStatus } : {}),
    };
    this.parts.emit({ type: 'end', icount: cpu.retired, reason, message });
    return this.result;
  }

  /** "CS:EIP instruction" for diagnostics. */
  where(eip = this.parts.cpu.eip): string {
    const cpu = this.parts.cpu;
    return this.describeLocation(cpu.segSel[Seg.CS], cpu.csBase, eip);
  }

  private describeLocation(cs: number, csBase: number, eip: number): string {
    const loc = csEip(cs, eip);
    const bytes = this.parts.peekLinear((csBase + eip) | 0, 15);
    if (!bytes) return `${loc} (code not mapped)`;
    return `${loc} ${disassemble(bytes, eip).text}`;
  }
}

function describeException(e: CpuException): string {
  const code = e.errorCode >= 0 && pushesErrorCode(e.vector) ? ` (error code ${hexDigits(e.errorCode, 4)})` : '';
  return `${vectorName(e.vector)}${code}${e.detail ? ` [${e.detail}]` : ''}`;
}
