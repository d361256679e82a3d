// Far CALL and far JMP through a call gate (SDM Vol. 3, 5.8.2-5.8.6, and
// Vol. 2 "CALL" and "JMP", protected mode, CALL-GATE): the gate's checks,
// then the code segment's, each raising the exception and error code the
// SDM's Operation section names, in its order. A CALL to a more privileged
// non-conforming segment switches to SSn:ESPn from the TSS and copies the
// gate's parameter count of dwords from the caller's stack; far RET
// (ops/segment.ts) undoes it.

import type { CPU } from './cpu.ts';
import { Reg, Seg } from './cpu.ts';
import { CpuException, MachineStop, Vector } from './exceptions.ts';
import { hasRoomFor, innerStackFromTss, pushFrame } from './inner-stack.ts';
import { CYCLES } from './cycle-model.ts';
import { hex16, hex32 } from '../hex.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S, decodeGate, descriptorDpl, loadCodeSegment, loadSegmentCache, readDescriptor,
  type Descriptor,
} from '../memory/segmentation.ts';

/** System-descriptor types of call gates (SDM Table 3-2). */
export const CALL_GATE_16 = 0x4;
export const CALL_GATE_32 = 0xc;

/** Where a gate sends a far CALL or JMP, once its checks passed. */
interface GateTarget {
  selector: number;
  code: Descriptor;
  offset: number;
  /** The gate's parameter count: dwords copied to the inner stack on a privilege change. */
  params: number;
}

/**
 * The checks on the gate and on the code segment it names, common to CALL
 * and JMP but for the one on the segment's DPL (SDM "CALL" and "JMP",
 * CALL-GATE). `what` names the instruction in the reasons.
 */
function checkGate(cpu: CPU, gateSelector: number, gateDescriptor: Descriptor, what: string): GateTarget {
  const fail = (vector: Vector, code: number, why: string): never => {
    throw new CpuException(vector, code & 0xfffc, `far ${what} through call gate ${hex16(gateSelector)}: ${why}`);
  };
  const gate = decodeGate(gateDescriptor.low, gateDescriptor.high);
  if ((gate.type & 0xf) === CALL_GATE_16) {
    throw new MachineStop('unsupported', `far ${what} through a 16-bit call gate (selector ${hex16(gateSelector)}): the lab PC does not model 16-bit call gates; use a 32-bit one (type 0xC)`);
  }
  const rpl = gateSelector & 3;
  // SDM 5.8.4: the gate must be at least as privileged as both CPL and RPL to be used at all.
  if (gate.dpl < cpu.cpl || gate.dpl < rpl) fail(Vector.GP, gateSelector, `gate DPL ${gate.dpl} is more privileged than CPL ${cpu.cpl} / RPL ${rpl}`);
  if (!gate.present) fail(Vector.NP, gateSelector, 'the gate is not present');
  const selector = gate.selector;
  if ((selector & 0xfffc) === 0) fail(Vector.GP, 0, 'the gate names a null code selector');
  const code = readDescriptor(cpu, selector) ?? fail(Vector.GP, selector, `the gate names selector ${hex16(selector)}, outside the descriptor table`);
  if ((code.access & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE)) fail(Vector.GP, selector, `the gate names selector ${hex16(selector)}, which is not a code segment`);
  const dpl = descriptorDpl(code.access);
  // SDM 5.8.4: through a gate, code may be entered at its own privilege or a more privileged one, never a less privileged one.
  if (dpl > cpu.cpl) fail(Vector.GP, selector, `the gate's code segment ${hex16(selector)} has DPL ${dpl}, less privileged than CPL ${cpu.cpl}`);
  // SDM "JMP": a jump cannot change CPL, so a non-conforming target must be at CPL exactly.
  if (what === 'JMP' && (code.access & ACC_CONFORMING) === 0 && dpl !== cpu.cpl) {
    fail(Vector.GP, selector, `a jump through a gate cannot change privilege, and code segment ${hex16(selector)} is non-conforming with DPL ${dpl} at CPL ${cpu.cpl}`);
  }
  if ((code.access & ACC_PRESENT) === 0) fail(Vector.NP, selector, `the gate's code segment ${hex16(selector)} is not present`);
  return { selector, code, offset: gate.offset, params: gateDescriptor.high & 0x1f };
}

/** Far JMP through a call gate: CPL never changes (SDM "JMP", CALL-GATE). */
export function jumpThroughGate(cpu: CPU, gateSelector: number, gate: Descriptor): void {
  const t = checkGate(cpu, gateSelector, gate, 'JMP');
  loadCodeSegment(cpu, t.selector, t.code, cpu.cpl, t.offset);
}

/** Far CALL through a call gate: to the same privilege, or to a more privileged ring on its own stack. */
export function callThroughGate(cpu: CPU, gateSelector: number, gate: Descriptor): void {
  const t = checkGate(cpu, gateSelector, gate, 'CALL');
  const dpl = descriptorDpl(t.code.access);
  if ((t.code.access & ACC_CONFORMING) === 0 && dpl < cpu.cpl) {
    callToInnerRing(cpu, gateSelector, t, dpl);
    return;
  }
  // SDM "CALL", SAME-PRIVILEGE: a 32-bit gate pushes CS and EIP as dwords, whatever the operand size.
  if (t.offset >>> 0 > t.code.limit >>> 0) throw new CpuException(Vector.GP, 0, `far CALL through call gate ${hex16(gateSelector)}: target offset ${hex32(t.offset)} is beyond the code segment limit`);
  const esp = cpu.r32[Reg.ESP];
  try {
    cpu.push32(cpu.segSel[Seg.CS]);
    cpu.push32(cpu.eip);
    loadCodeSegment(cpu, t.selector, t.code, cpu.cpl, t.offset);
  } catch (e) {
    cpu.r32[Reg.ESP] = esp;
    throw e;
  }
}

/**
 * SDM "CALL", MORE-PRIVILEGE, and 5.8.5: SS:ESP for ring `dpl` from the TSS;
 * on that stack the caller's SS and ESP, the gate's parameters in the order
 * they had on the caller's stack, then the caller's CS and EIP. Nothing
 * changes until the whole frame is written.
 */
function callToInnerRing(cpu: CPU, gateSelector: number, t: GateTarget, dpl: number): void {
  const what = `far CALL through call gate ${hex16(gateSelector)}`;
  const fail = (vector: Vector, code: number, why: string): never => {
    throw new CpuException(vector, code, `${what}: ${why}`);
  };
  const inner = innerStackFromTss(cpu, dpl, cpu.cpl, 2, 0, fail);
  const bytes = 16 + 4 * t.params;
  if (!hasRoomFor(inner, bytes)) {
    fail(Vector.SS, inner.ss & 0xfffc, `the ring-${dpl} stack ${hex16(inner.ss)}:${hex32(inner.esp)} from the TSS has no room for the ${bytes}-byte frame (SS, ESP, ${t.params} parameters, CS, EIP)`);
  }
  if (t.offset >>> 0 > t.code.limit >>> 0) fail(Vector.GP, 0, `target offset ${hex32(t.offset)} is beyond the code segment limit`);

  const fromCpl = cpu.cpl;
  const frame = [cpu.segSel[Seg.SS], cpu.r32[Reg.ESP]];
  // The parameters are read through the caller's SS at the caller's privilege, highest first, so that they keep their order.
  for (let i = t.params - 1; i >= 0; i--) {
    frame.push(cpu.read32(cpu.linear(Seg.SS, cpu.stackTopAfter(4 * i), 4)));
  }
  frame.push(cpu.segSel[Seg.CS], cpu.eip);
  const sp = pushFrame(cpu, inner.base, inner.esp, inner.stack32, frame, dpl,
    () => `${what}: pushing the return frame on the ring-${dpl} stack from the TSS (ESP${dpl} = ${hex32(inner.esp)})`);

  loadSegmentCache(cpu, Seg.SS, inner.ss, inner.descriptor);
  cpu.r32[Reg.ESP] = sp;
  loadCodeSegment(cpu, t.selector, t.code, dpl, t.offset, CYCLES.callGateToInnerRing);
  cpu.emit?.({ type: 'far-call', icount: cpu.retired, fromCpl, toCpl: dpl, toCs: cpu.segSel[Seg.CS], toEip: t.offset, eflags: cpu.getFlags() });
}
