// Interrupt and exception delivery through the IDT (SDM Vol. 3, 6.10-6.15):
// gate checks, the stack switch to SS0:ESP0 from the TSS on entry from an
// outer ring, the frame pushed, IF and TF, and the double-fault rules; a task
// gate hands the delivery to task-gates.ts.
// Every check is written out in the order the SDM lists it, each raising the
// exception and error code the SDM names, with a reason a student can read.

import type { CPU } from './cpu.ts';
import { Reg, Seg } from './cpu.ts';
import { CpuException, MachineStop, Vector, pushesErrorCode, vectorName } from './exceptions.ts';
import { IF, NT, RF, TF, VM } from './flags.ts';
import type { InterruptEvent } from '../events.ts';
import { enteringDebugHandler } from './debug-registers.ts';
import { hasRoomFor, innerStackFromTss, pushFrame, stackOffset } from './inner-stack.ts';
import { switchTaskForInterrupt } from './task-gates.ts';
import { hex16, hex32 } from '../hex.ts';
import { beyondInstruction, CYCLES } from './cycle-model.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S,
  GATE_INTERRUPT_16, GATE_INTERRUPT_32, GATE_TASK, GATE_TRAP_16, GATE_TRAP_32,
  decodeGate, descriptorDpl, loadSegmentCache, readDescriptor, readSystem32,
} from '../memory/segmentation.ts';

export const enum InterruptKind {
  /** A fault raised by an instruction: EXT = 1 in error codes, no gate DPL check. */
  Exception,
  /** INT n, INT3, INTO: the gate's DPL must be >= CPL. */
  Software,
  /** A device interrupt through the PIC: EXT = 1, no gate DPL check. */
  External,
}

/** What a delivery did, for the event stream and the grader. */
export interface Delivery extends Pick<InterruptEvent, 'vector' | 'fromCpl' | 'toCpl' | 'fromCs' | 'fromEip' | 'toCs' | 'toEip' | 'gate' | 'frameAt' | 'frameBytes'> {
  /** The error code the exception came with, whether or not its vector pushes one. */
  errorCode: number;
  kind: InterruptKind;
}

/** The event stream's record of a delivery; `detail` says why an exception was raised, when known. */
export function deliveryEvent(cpu: CPU, d: Delivery, detail = '', halted?: number): Omit<InterruptEvent, 'cycles'> {
  const exception = d.kind === InterruptKind.Exception;
  return {
    type: 'interrupt', icount: cpu.retired, vector: d.vector,
    kind: d.kind === InterruptKind.External ? 'external' : d.kind === InterruptKind.Software ? 'software' : 'exception',
    errorCode: exception && pushesErrorCode(d.vector) ? d.errorCode : -1,
    ...(exception && d.vector === Vector.PF ? { cr2: cpu.cr2 } : {}),
    fromCpl: d.fromCpl, toCpl: d.toCpl, fromCs: d.fromCs, fromEip: d.fromEip, toCs: d.toCs, toEip: d.toEip, gate: d.gate,
    frameAt: d.frameAt, frameBytes: d.frameBytes,
    ...(detail ? { detail } : {}),
    ...(halted !== undefined ? { halted } : {}),
  };
}

/**
 * Deliver `vector` through the IDT. `returnEip` is the EIP pushed: the
 * faulting instruction for faults, the next one for INT n and traps.
 * On failure it throws the exception the SDM names, with the machine state as
 * it was before the attempt.
 */
export function deliverInterrupt(cpu: CPU, vector: number, errorCode: number, kind: InterruptKind, returnEip: number): Delivery {
  const ext = kind === InterruptKind.Software ? 0 : 1;
  const idtError = (vector << 3) | 2 | ext;
  const fail = (v: Vector, code: number, why: string): never => {
    throw new CpuException(v, code, `delivering ${vectorName(vector)}: ${why}`);
  };

  // SDM 6.10: the gate must lie inside the IDT limit.
  if ((vector << 3) + 7 > cpu.idtLimit) {
    fail(Vector.GP, idtError, `IDT entry ${vector} is beyond the IDT limit ${hex16(cpu.idtLimit)}${cpu.idtLimit === 0x3ff && cpu.idtBase === 0 ? ' (no IDT was loaded with LIDT)' : ''}`);
  }
  const gateAddress = (cpu.idtBase + (vector << 3)) | 0;
  let low: number, high: number;
  try {
    low = readSystem32(cpu, gateAddress);
    high = readSystem32(cpu, (gateAddress + 4) | 0);
  } catch (e) {
    if (e instanceof CpuException) throw new CpuException(e.vector, e.errorCode, `delivering ${vectorName(vector)}: reading IDT entry ${vector} at ${hex32(gateAddress)} faulted: ${e.detail}`);
    throw e;
  }
  const { type, dpl: gateDpl, present, selector, offset } = decodeGate(low, high);
  if (type === GATE_INTERRUPT_16 || type === GATE_TRAP_16) {
    throw new MachineStop('unsupported', `IDT entry ${vector} is a 16-bit gate: the lab PC runs 32-bit code only`);
  }
  if (type !== GATE_INTERRUPT_32 && type !== GATE_TRAP_32 && type !== GATE_TASK) {
    fail(Vector.GP, idtError, `IDT entry ${vector} is not an interrupt, trap or task gate (type ${type.toString(16)})`);
  }
  // SDM 6.12.1.1: the gate DPL check applies to INT n, INT3 and INTO only, not to exceptions or device interrupts.
  if (kind === InterruptKind.Software && gateDpl < cpu.cpl) {
    fail(Vector.GP, idtError, `INT ${vector} from CPL ${cpu.cpl} through a gate with DPL ${gateDpl}`);
  }
  if (!present) fail(Vector.NP, idtError, `IDT entry ${vector} is not present`);
  if (type === GATE_TASK) {
    const pushError = errorCode >= 0 && kind === InterruptKind.Exception;
    const t = switchTaskForInterrupt(cpu, selector, vector, errorCode, pushError, returnEip, ext, fail);
    // A task switch costs at least what a delivery into an inner ring does: the whole register file is saved and loaded.
    chargeDelivery(cpu, kind, true);
    return { vector, errorCode, kind, fromEip: returnEip, toCpl: cpu.cpl, gate: 'task', ...t };
  }

  if ((selector & 0xfffc) === 0) fail(Vector.GP, ext, `IDT entry ${vector} names a null code selector`);
  const code = readDescriptor(cpu, selector)
    ?? fail(Vector.GP, (selector & 0xfffc) | ext, `IDT entry ${vector} names selector ${hex16(selector)}, outside the descriptor table`);
  const dpl = descriptorDpl(code.access);
  if ((code.access & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE) || dpl > cpu.cpl) {
    fail(Vector.GP, (selector & 0xfffc) | ext, `IDT entry ${vector} names selector ${hex16(selector)}, which is not a code segment with DPL <= CPL ${cpu.cpl}`);
  }
  if ((code.access & ACC_PRESENT) === 0) fail(Vector.NP, (selector & 0xfffc) | ext, `handler code segment ${hex16(selector)} is not present`);

  const fromCpl = cpu.cpl;
  const fromCs = cpu.segSel[Seg.CS];
  const flagsImage = cpu.getFlags();
  const toOuterRing = (code.access & ACC_CONFORMING) === 0 && dpl < cpu.cpl;
  const newCpl = toOuterRing ? dpl : cpu.cpl;

  // Build the frame: on the TSS's stack for an inter-privilege delivery, else on the current one.
  const inner = toOuterRing ? innerStackFromTss(cpu, dpl, cpu.cpl, 4, ext, fail) : null;
  const frame: number[] = [];
  if (inner) frame.push(cpu.segSel[Seg.SS], cpu.r32[Reg.ESP]);
  frame.push(flagsImage, fromCs, returnEip);
  if (errorCode >= 0 && pushesErrorCode(vector) && kind === InterruptKind.Exception) frame.push(errorCode);

  // SDM 6.12.1 and Vol. 2 "INT n": the stack-address size is the stack segment's.
  const ssBase = inner ? inner.base : cpu.segBase[Seg.SS];
  const esp = inner ? inner.esp : cpu.r32[Reg.ESP];
  const stack32 = inner ? inner.stack32 : cpu.stack32;
  // SDM "INT n": a stack without room for the whole frame is #SS, before anything is pushed: with the new SS
  // as error code on a stack from the TSS, 0 on the current one. (A flat current stack always has room.)
  if (inner || cpu.segNeedsCheck[Seg.SS] !== 0) {
    const stack = inner ?? { access: cpu.segAccess[Seg.SS]!, limit: cpu.segLimit[Seg.SS]!, esp, stack32 };
    if (!hasRoomFor(stack, 4 * frame.length)) {
      fail(Vector.SS, inner ? (inner.ss & 0xfffc) | ext : ext,
        `${inner ? `the ring-${dpl} stack ${hex16(inner.ss)}:${hex32(esp)} from the TSS` : `the current stack ${hex16(cpu.segSel[Seg.SS])}:${hex32(esp)}`} has no room for the ${4 * frame.length}-byte frame`);
    }
  }
  if (offset >>> 0 > code.limit >>> 0) fail(Vector.GP, ext, `handler offset ${hex32(offset)} is beyond its code segment limit`);
  // A page fault while pushing the frame (ESP0 into an unmapped page, say) is raised before anything is committed.
  const sp = pushFrame(cpu, ssBase, esp, stack32, frame, newCpl, () => `delivering ${vectorName(vector)}: pushing the interrupt frame on ` +
    (inner ? `the ring-${dpl} stack from the TSS (ESP${dpl} = ${hex32(esp)})` : `the current stack (ESP = ${hex32(esp)})`));

  // Commit: nothing below can fault. The delivery's cycles count for the ring it leaves.
  chargeDelivery(cpu, kind, toOuterRing);
  if (inner) {
    cpu.setCpl(newCpl);
    loadSegmentCache(cpu, Seg.SS, inner.ss, inner.descriptor);
  }
  cpu.r32[Reg.ESP] = sp;
  loadSegmentCache(cpu, Seg.CS, (selector & 0xfffc) | newCpl, code);
  cpu.eip = offset;
  cpu.fetchPage = -1;
  cpu.materializeFlags();
  cpu.flags &= ~(TF | NT | RF | VM);
  if (vector === Vector.DB) enteringDebugHandler(cpu);
  const gate = type === GATE_INTERRUPT_32 ? 'interrupt' : 'trap';
  if (gate === 'interrupt') cpu.flags &= ~IF;
  return {
    vector, errorCode, kind, fromCpl, toCpl: newCpl, fromCs, fromEip: returnEip,
    toCs: cpu.segSel[Seg.CS], toEip: offset, gate,
    frameAt: (ssBase + stackOffset(sp, stack32)) >>> 0, frameBytes: 4 * frame.length,
  };
}

/**
 * INT n is an instruction, and takes its cycles back if it faults later; an
 * exception or a device interrupt is not, and its delivery's cycles stand.
 */
function chargeDelivery(cpu: CPU, kind: InterruptKind, toInnerRing: boolean): void {
  switch (kind) {
    case InterruptKind.Software:
      cpu.extraCycles += beyondInstruction(toInnerRing ? CYCLES.intToInnerRing : CYCLES.intSameRing);
      return;
    case InterruptKind.Exception:
      cpu.committedCycles += toInnerRing ? CYCLES.exceptionToInnerRing : CYCLES.exceptionSameRing;
      return;
    default:
      cpu.committedCycles += toInnerRing ? CYCLES.externalToInnerRing : CYCLES.externalSameRing;
  }
}

/** SDM Table 6-4 classes. */
function isContributory(vector: number): boolean {
  return vector === 0 || (vector >= 10 && vector <= 13);
}

/** SDM Table 6-5: does `second`, raised while delivering `first`, make a double fault? */
export function isDoubleFault(first: number, second: number): boolean {
  if (isContributory(first)) return isContributory(second);
  if (first === Vector.PF) return isContributory(second) || second === Vector.PF;
  return false;
}
