// The segment instructions (SDM Vol. 3, chapter 5.5-5.8): loading segment
// registers with every check in the order the SDM lists it, far JMP/CALL/RET
// between code segments, and the instructions that move selectors (MOV Sreg,
// PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS). Descriptors themselves are read and
// decoded in ../../memory/segmentation.ts.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16, Seg } from '../cpu.ts';
import { CpuException, Vector } from '../exceptions.ts';
import { hex16 } from '../../hex.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S, ACC_WRITABLE_OR_READABLE,
  checkReturnCode, checkReturnStack, descriptorDpl, loadCodeSegment, loadSegmentCache, nullInaccessibleSegments, readDescriptor,
  type Descriptor,
} from '../../memory/segmentation.ts';
import { CALL_GATE_16, CALL_GATE_32, callThroughGate, jumpThroughGate } from '../call-gates.ts';
import { farTransferToTask, isTaskTarget } from '../task-gates.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { ZF } from '../flags.ts';
import { beyondInstruction, CYCLES } from '../cycle-model.ts';

export const segmentOpcodes = new OpcodeFamily('ops/segment.ts');
const { def, def0F } = segmentOpcodes;

function gp(selector: number, why: string): never {
  throw new CpuException(Vector.GP, selector & 0xfffc, why);
}

/** MOV/POP/LxS to a data segment register or SS, with the checks of SDM "MOV—Move" (protected mode). */
export function loadDataSegment(cpu: CPU, seg: number, selector: number): void {
  selector &= 0xffff;
  const rpl = selector & 3;
  if (seg === Seg.SS) {
    if ((selector & 0xfffc) === 0) gp(0, 'SS loaded with a null selector');
    cpu.extraCycles += beyondInstruction(CYCLES.segmentLoad);
    const d = readDescriptor(cpu, selector) ?? gp(selector, `selector ${hex16(selector)} is outside the descriptor table`);
    if (rpl !== cpu.cpl) gp(selector, `SS selector RPL ${rpl} differs from CPL ${cpu.cpl}`);
    if ((d.access & (ACC_S | ACC_CODE | ACC_WRITABLE_OR_READABLE)) !== (ACC_S | ACC_WRITABLE_OR_READABLE)) {
      gp(selector, `SS selector ${hex16(selector)} is not a writable data segment`);
    }
    if (descriptorDpl(d.access) !== cpu.cpl) gp(selector, `SS descriptor DPL ${descriptorDpl(d.access)} differs from CPL ${cpu.cpl}`);
    if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.SS, selector & 0xfffc, 'stack segment not present');
    loadSegmentCache(cpu, seg, selector, d);
    return;
  }
  if ((selector & 0xfffc) === 0) {
    loadSegmentCache(cpu, seg, selector, null);
    return;
  }
  cpu.extraCycles += beyondInstruction(CYCLES.segmentLoad);
  const d = readDescriptor(cpu, selector) ?? gp(selector, `selector ${hex16(selector)} is outside the descriptor table`);
  const isData = (d.access & (ACC_S | ACC_CODE)) === ACC_S;
  const isReadableCode = (d.access & (ACC_S | ACC_CODE | ACC_WRITABLE_OR_READABLE)) === (ACC_S | ACC_CODE | ACC_WRITABLE_OR_READABLE);
  if (!isData && !isReadableCode) gp(selector, `selector ${hex16(selector)} is not a data or readable code segment`);
  const conforming = isReadableCode && (d.access & ACC_CONFORMING) !== 0;
  const dpl = descriptorDpl(d.access);
  if (!conforming && (rpl > dpl || cpu.cpl > dpl)) {
    gp(selector, `segment DPL ${dpl} is more privileged than CPL ${cpu.cpl} / RPL ${rpl}`);
  }
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.NP, selector & 0xfffc, 'segment not present');
  loadSegmentCache(cpu, seg, selector, d);
}

/**
 * The descriptor a far JMP/CALL names (SDM "JMP" and "CALL", protected
 * mode): a code segment, a call gate that leads to one, or a TSS or task
 * gate, for a task switch (task-gates.ts).
 */
function readFarTarget(cpu: CPU, selector: number, what: string): Descriptor {
  if ((selector & 0xfffc) === 0) gp(0, `far ${what} to a null selector`);
  const d = readDescriptor(cpu, selector) ?? gp(selector, `selector ${hex16(selector)} is outside the descriptor table`);
  if ((d.access & ACC_S) === 0 && !isCallGate(d) && !isTaskTarget(d)) gp(selector, `far ${what} to system descriptor type ${d.access & 0xf}`);
  return d;
}

function isCallGate(d: Descriptor): boolean {
  const type = d.access & (ACC_S | 0xf);
  return type === CALL_GATE_32 || type === CALL_GATE_16;
}

/** Checks for a far JMP/CALL straight to a code segment (SDM "JMP", protected mode, code segment branch). */
function checkCodeTarget(cpu: CPU, selector: number, d: Descriptor, what: string): void {
  if ((d.access & ACC_CODE) === 0) gp(selector, `far ${what} to a data segment (selector ${hex16(selector)})`);
  const dpl = descriptorDpl(d.access);
  const rpl = selector & 3;
  if (d.access & ACC_CONFORMING) {
    if (dpl > cpu.cpl) gp(selector, `conforming code segment DPL ${dpl} > CPL ${cpu.cpl}`);
  } else if (rpl > cpu.cpl || dpl !== cpu.cpl) {
    gp(selector, `far ${what} to a code segment with DPL ${dpl} from CPL ${cpu.cpl} (RPL ${rpl})`);
  }
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.NP, selector & 0xfffc, 'code segment not present');
}

export function farJump(cpu: CPU, selector: number, offset: number): void {
  if (cpu.o16) offset &= 0xffff;
  const d = readFarTarget(cpu, selector, 'JMP');
  if (isTaskTarget(d)) {
    farTransferToTask(cpu, selector, d, false);
    return;
  }
  if (isCallGate(d)) {
    jumpThroughGate(cpu, selector, d);
    return;
  }
  checkCodeTarget(cpu, selector, d, 'JMP');
  loadCodeSegment(cpu, selector, d, cpu.cpl, offset);
}

export function farCall(cpu: CPU, selector: number, offset: number): void {
  if (cpu.o16) offset &= 0xffff;
  const d = readFarTarget(cpu, selector, 'CALL');
  if (isTaskTarget(d)) {
    farTransferToTask(cpu, selector, d, true);
    return;
  }
  if (isCallGate(d)) {
    callThroughGate(cpu, selector, d);
    return;
  }
  checkCodeTarget(cpu, selector, d, 'CALL');
  const esp = cpu.r32[Reg.ESP];
  try {
    cpu.pushOp(cpu.segSel[Seg.CS]);
    cpu.pushOp(cpu.eip);
    loadCodeSegment(cpu, selector, d, cpu.cpl, offset);
  } catch (e) {
    cpu.r32[Reg.ESP] = esp;
    throw e;
  }
}

/** Far RET (SDM "RET", protected mode): same privilege, or to an outer ring with SS:ESP from the stack. */
export function farReturn(cpu: CPU, release: number): void {
  const esp = cpu.r32[Reg.ESP];
  try {
    const offset = cpu.popOp();
    const selector = cpu.popOp() & 0xffff;
    const d = checkReturnCode(cpu, selector, 'far RET');
    const rpl = selector & 3;
    cpu.setSP(cpu.stack32 ? (cpu.r32[Reg.ESP] + release) | 0 : (cpu.r16[Reg16.SP] + release) & 0xffff);
    if (rpl === cpu.cpl) {
      loadCodeSegment(cpu, selector, d, rpl, offset);
      return;
    }
    const newEsp = cpu.popOp();
    const newSs = cpu.popOp() & 0xffff;
    // SDM "RET": the popped SS is checked before anything is loaded, so a fault leaves CS and CPL as they were.
    const ss = checkReturnStack(cpu, newSs, rpl, 'far RET');
    const fromCpl = cpu.cpl;
    loadCodeSegment(cpu, selector, d, rpl, offset, CYCLES.farReturnToOuterRing);
    loadSegmentCache(cpu, Seg.SS, newSs, ss);
    // SDM "RET": RET imm16 releases the caller's parameters from the outer stack too, as that stack's size counts.
    cpu.r32[Reg.ESP] = newEsp;
    cpu.setSP(cpu.stackTopAfter(release));
    nullInaccessibleSegments(cpu);
    cpu.emit?.({ type: 'far-return', icount: cpu.retired, fromCpl, toCpl: rpl, toCs: cpu.segSel[Seg.CS], toEip: offset, eflags: cpu.getFlags() });
  } catch (e) {
    cpu.r32[Reg.ESP] = esp;
    throw e;
  }
}

// ---- instructions that move selectors ----------------------------------------

// MOV Ew, Sreg (8C): a register destination gets the selector zero-extended with a 32-bit operand.
def(0x8c, (cpu) => {
  const m = cpu.fetch8();
  const sreg = (m >>> 3) & 7;
  if (sreg > 5) cpu.undefinedOpcode(`MOV from segment register ${sreg}`);
  if (m >= 0xc0 && !cpu.o16) cpu.r32[m & 7] = cpu.segSel[sreg]!;
  else cpu.writeRM16(m, cpu.segSel[sreg]!);
});

// MOV Sreg, Ew (8E). Loading CS this way is #UD; loading SS blocks interrupts for one instruction.
// 63: ARPL r/m16, r16 (SDM Vol. 2A "ARPL"): raises the RPL of a selector to
// the caller's, so that a kernel given a selector by a less privileged caller
// uses it with no more privilege than the caller had. Protected mode only
// (the lab PC is never in real or virtual-8086 mode). Only ZF changes.
def(0x63, (cpu) => {
  const m = cpu.fetch8();
  const source = cpu.r16[((m >>> 3) & 7) << 1]!;
  const lin = m >= 0xc0 ? 0 : cpu.ea(m, 2);
  const dest = m >= 0xc0 ? cpu.r16[(m & 7) << 1]! : cpu.read16(lin);
  const raise = (dest & 3) < (source & 3);
  if (raise) {
    const raised = (dest & ~3) | (source & 3);
    if (m >= 0xc0) cpu.r16[(m & 7) << 1] = raised;
    else cpu.write16(lin, raised);
  }
  cpu.materializeFlags();
  cpu.flags = raise ? cpu.flags | ZF : cpu.flags & ~ZF;
});

def(0x8e, (cpu) => {
  const m = cpu.fetch8();
  const sreg = (m >>> 3) & 7;
  if (sreg > 5 || sreg === Seg.CS) cpu.undefinedOpcode(`MOV to segment register ${sreg}`);
  loadDataSegment(cpu, sreg, cpu.readRM16(m));
  if (sreg === Seg.SS) cpu.shadowStackSwitch();
});

// PUSH/POP Sreg: 06/07 ES, 0E CS, 16/17 SS, 1E/1F DS, 0F A0/A1 FS, 0F A8/A9 GS.
function pushSeg(seg: Seg) {
  // A 32-bit push of a selector writes 4 bytes; the upper half is zero here (QEMU does the same).
  return (cpu: CPU): void => cpu.pushOp(cpu.segSel[seg]);
}
function popSeg(seg: Seg) {
  return (cpu: CPU): void => {
    const esp = cpu.r32[Reg.ESP];
    const sel = cpu.popOp();
    try {
      loadDataSegment(cpu, seg, sel & 0xffff);
    } catch (e) {
      cpu.r32[Reg.ESP] = esp;
      throw e;
    }
    if (seg === Seg.SS) cpu.shadowStackSwitch();
  };
}
def(0x06, pushSeg(Seg.ES));
def(0x07, popSeg(Seg.ES));
def(0x0e, pushSeg(Seg.CS));
def(0x16, pushSeg(Seg.SS));
def(0x17, popSeg(Seg.SS));
def(0x1e, pushSeg(Seg.DS));
def(0x1f, popSeg(Seg.DS));
def0F(0xa0, pushSeg(Seg.FS));
def0F(0xa1, popSeg(Seg.FS));
def0F(0xa8, pushSeg(Seg.GS));
def0F(0xa9, popSeg(Seg.GS));

// LES/LDS (C4/C5), LSS/LFS/LGS (0F B2/B4/B5): load a far pointer m16:v.
function loadFarPointer(seg: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    if (m >= 0xc0) cpu.undefinedOpcode('far pointer load with a register operand');
    const lin = cpu.ea(m, cpu.o16 ? 4 : 6);
    const off = cpu.o16 ? cpu.read16(lin) : cpu.read32(lin);
    const sel = cpu.read16((lin + (cpu.o16 ? 2 : 4)) | 0);
    loadDataSegment(cpu, seg, sel);
    const reg = (m >>> 3) & 7;
    if (cpu.o16) cpu.r16[reg << 1] = off;
    else cpu.r32[reg] = off;
  };
}
def(0xc4, loadFarPointer(Seg.ES));
def(0xc5, loadFarPointer(Seg.DS));
def0F(0xb2, loadFarPointer(Seg.SS));
def0F(0xb4, loadFarPointer(Seg.FS));
def0F(0xb5, loadFarPointer(Seg.GS));
