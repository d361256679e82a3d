// The hardware task switch itself (SDM Vol. 3, 7.3 "Task Switching"): the
// checks on the incoming TSS's descriptor, the outgoing task's state saved in
// its own TSS, the busy bits and the back-link, and the incoming task's state
// loaded from its TSS. What starts a switch (far JMP or CALL to a TSS or a
// task gate, a task gate in the IDT, IRET with NT set) and the checks each
// instruction makes first are in task-gates.ts.
//
// The commit point (7.3, after step 11): until then a fault leaves the machine
// as it was before the instruction. After it, a fault (an invalid selector in
// the new TSS, say) is raised in the context of the new task, whose state is
// loaded and whose first instruction is where EIP points: the old task's state
// is already saved in its TSS.

import type { CPU } from './cpu.ts';
import { Seg } from './cpu.ts';
import { CpuException, MachineStop, Vector } from './exceptions.ts';
import { FIXED_ONE, NT, VM, WRITABLE } from './flags.ts';
import { loadDataSegment } from './ops/segment.ts';
import { switchedTask } from './debug-registers.ts';
import { writeCr3 } from './ops/system.ts';
import { CYCLES } from './cycle-model.ts';
import { hex16, hex32 } from '../hex.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S, descriptorDpl, loadSegmentCache, readDescriptor, readSystem32, writeSystem8,
  type Descriptor,
} from '../memory/segmentation.ts';

/** Offsets in a 32-bit TSS (SDM Figure 7-2). */
const TSS_CR3 = 0x1c;
const TSS_EIP = 0x20;
const TSS_EFLAGS = 0x24;
/** EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI: the order of Reg. */
const TSS_GPRS = 0x28;
/** ES, CS, SS, DS, FS, GS: the order of Seg. */
const TSS_SEGMENTS = 0x48;
const TSS_LDT = 0x60;
const TSS_TRAP = 0x64;
const TSS_MIN_LIMIT = 0x67;

/** System-descriptor types (SDM Table 3-2). */
export const TSS16_AVAILABLE = 0x1;
export const TSS16_BUSY = 0x3;
export const TSS32_AVAILABLE = 0x9;
export const TSS32_BUSY = 0xb;
const TSS_BUSY_BIT = 0x2;
const LDT_TYPE = 0x2;
const CR0_TS = 1 << 3;
const CR0_PG = 1 << 31;
/** DR6.BT: the #DB was raised by the T flag of the TSS switched to (SDM 17.2.3). */
const DR6_BT = 1 << 15;

/** What started the switch: it decides the busy bits, the back-link and NT (SDM Table 7-2). */
export const enum SwitchReason { Jump, Call, Interrupt, Iret }

/** Raises the exception the starting instruction names, with its own wording of the reason. */
type Fail = (vector: Vector, code: number, why: string) => never;

/** The system type of a descriptor, with S: a TSS or gate has S = 0. */
export function systemType(d: Descriptor): number {
  return d.access & (ACC_S | 0xf);
}

/**
 * The checks on a TSS descriptor a JMP, CALL or task gate switches to, in the
 * SDM's order ("JMP"/"CALL", TASK-STATE-SEGMENT; 7.3 step 3): available, not
 * busy (a task cannot be re-entered), present, and large enough for a 32-bit
 * TSS. `code` is the error code the SDM names: the TSS selector (with EXT).
 */
export function checkIncomingTss(selector: number, d: Descriptor, code: number, fail: Fail): void {
  const type = systemType(d);
  if (type === TSS16_AVAILABLE || type === TSS16_BUSY) {
    throw new MachineStop('unsupported', `a task switch to a 16-bit TSS (${hex16(selector)}): the lab PC models 32-bit TSSs only`);
  }
  if (type === TSS32_BUSY) fail(Vector.GP, code, `TSS ${hex16(selector)} is busy (a task cannot be re-entered)`);
  if (type !== TSS32_AVAILABLE) fail(Vector.GP, code, `${hex16(selector)} is not a TSS`);
  if ((d.access & ACC_PRESENT) === 0) fail(Vector.NP, code, `TSS ${hex16(selector)} is not present`);
  checkTssLimit(selector, d, code, fail);
}

/** SDM 7.3 step 4: a 32-bit TSS needs a limit of at least 0x67, else #TS(TSS selector). */
export function checkTssLimit(selector: number, d: Descriptor, code: number, fail: Fail): void {
  if (d.limit < TSS_MIN_LIMIT) fail(Vector.TS, code, `TSS ${hex16(selector)} has limit ${hex32(d.limit)}, below the 0x67 a 32-bit TSS needs`);
}

function writeSystem32(cpu: CPU, linear: number, value: number): void {
  for (let i = 0; i < 4; i++) writeSystem8(cpu, (linear + i) | 0, value >>> (8 * i));
}

/** What the switch did, in the shape of a delivery's record. */
export interface TaskSwitch {
  fromCpl: number;
  fromCs: number;
  toCs: number;
  toEip: number;
  frameAt: number;
  frameBytes: number;
  /** The new TSS has its T flag set: the caller raises #DB once the switch is complete (raiseTaskTrap). */
  trap: boolean;
}

/**
 * SDM 7.3, steps 4-12, to the TSS `selector` names, whose descriptor `d` has
 * passed the starting instruction's checks. `returnEip` is saved as the old
 * task's EIP; `ext` is the EXT bit of error codes after the commit point.
 */
export function switchTask(cpu: CPU, selector: number, d: Descriptor, reason: SwitchReason, returnEip: number, ext: number): TaskSwitch {
  const nested = reason === SwitchReason.Call || reason === SwitchReason.Interrupt;
  if ((cpu.trSel & 0xfffc) === 0) {
    throw new CpuException(Vector.TS, ext, 'a task switch needs the current task\'s TSS to save it in, and no TSS was loaded with LTR');
  }
  // Read the incoming state before writing the outgoing one: a page fault here leaves nothing changed.
  const at = (offset: number) => readSystem32(cpu, (d.base + offset) | 0);
  const cr3 = at(TSS_CR3);
  const eip = at(TSS_EIP);
  const eflags = at(TSS_EFLAGS);
  const gprs = Array.from({ length: 8 }, (_, i) => at(TSS_GPRS + 4 * i));
  const segments = Array.from({ length: 6 }, (_, i) => at(TSS_SEGMENTS + 4 * i) & 0xffff);
  const ldt = at(TSS_LDT) & 0xffff;
  const trap = (at(TSS_TRAP) & 1) !== 0;
  if (eflags & VM) throw new MachineStop('unsupported', `TSS ${hex16(selector)} holds EFLAGS.VM set: the lab PC does not model virtual-8086 tasks`);

  // Steps 5-7: the outgoing task's state, into its own TSS. A JMP or IRET leaves the task, which is no longer
  // busy; IRET saves its EFLAGS with NT clear (step 6): the task it leaves is nested no more.
  const fromCpl = cpu.cpl;
  const fromCs = cpu.segSel[Seg.CS];
  const old = cpu.trBase;
  writeSystem32(cpu, (old + TSS_EIP) | 0, returnEip);
  writeSystem32(cpu, (old + TSS_EFLAGS) | 0, reason === SwitchReason.Iret ? cpu.getFlags() & ~NT : cpu.getFlags());
  for (let i = 0; i < 8; i++) writeSystem32(cpu, (old + TSS_GPRS + 4 * i) | 0, cpu.r32[i]!);
  for (let i = 0; i < 6; i++) writeSystem32(cpu, (old + TSS_SEGMENTS + 4 * i) | 0, cpu.segSel[i]!);
  if (!nested) {
    const current = readDescriptor(cpu, cpu.trSel);
    if (current) writeSystem8(cpu, (current.address + 5) | 0, current.access & ~TSS_BUSY_BIT);
  }

  // Steps 8-10: a nested switch links the new TSS to the old one and sets NT; the new TSS is busy; TR loaded.
  if (nested) writeSystem32(cpu, d.base, cpu.trSel);
  if (reason !== SwitchReason.Iret) writeSystem8(cpu, (d.address + 5) | 0, d.access | TSS_BUSY_BIT);
  cpu.trSel = selector & 0xfffc;
  cpu.trBase = d.base;
  cpu.trLimit = d.limit;
  // SDM 2.5: every task switch sets CR0.TS, so the new task's first x87 instruction raises #NM.
  cpu.cr0 |= CR0_TS;
  switchedTask(cpu);

  // Step 11: the new task's state. CR3 only with paging on (SDM 7.2.1).
  if (cpu.cr0 & CR0_PG) writeCr3(cpu, cr3);
  cpu.materializeFlags();
  cpu.setArithFlags(0);
  // The reserved bits of the EFLAGS image read as the hardware has them, whatever the TSS holds.
  cpu.flags = ((nested ? eflags | NT : eflags) & WRITABLE) | FIXED_ONE;
  // The new EFLAGS may let an interrupt in or set TF: the run loop must look before the next instruction.
  cpu.stopRequested = true;
  for (let i = 0; i < 8; i++) cpu.r32[i] = gprs[i]!;
  cpu.eip = eip;
  cpu.fetchPage = -1;
  // The commit point: a fault from here on is the new task's, at its first instruction, and what the
  // instruction charged so far stands with the switch's own cost (the run loop puts EIP and the cycle count back to these).
  cpu.ip0 = eip;
  cpu.extraCyclesAtStart = cpu.extraCycles;
  cpu.committedCycles += CYCLES.taskSwitch;

  // Step 12: the segment registers, in the new task's context. A fault here leaves the switch done, and
  // the segment loads it made charged as the switch is.
  try {
    loadTaskSegments(cpu, selector, segments, ldt, ext);
  } catch (e) {
    cpu.committedCycles += cpu.extraCycles - cpu.extraCyclesAtStart;
    cpu.extraCycles = cpu.extraCyclesAtStart;
    throw e;
  }
  return { fromCpl, fromCs, toCs: cpu.segSel[Seg.CS], toEip: cpu.eip, frameAt: 0, frameBytes: 0, trap };
}

/** SDM 7.3 step 12 and Table 7-1: the new task's LDTR, CS, SS and data segments; a bad selector is #TS(selector). */
function loadTaskSegments(cpu: CPU, selector: number, segments: number[], ldt: number, ext: number): void {
  const tsFail = (sel: number, why: string): never => { throw new CpuException(Vector.TS, (sel & 0xfffc) | ext, `task switch to TSS ${hex16(selector)}: ${why}`); };
  loadTaskLdt(cpu, ldt, tsFail);
  loadTaskCode(cpu, segments[Seg.CS]!, ext, tsFail);
  for (const seg of [Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) {
    try {
      loadDataSegment(cpu, seg, segments[seg]!);
    } catch (e) {
      if (e instanceof CpuException && e.vector === Vector.GP) tsFail(segments[seg]!, e.detail);
      throw e;
    }
  }
  if (cpu.eip >>> 0 > cpu.segLimit[Seg.CS]! >>> 0) {
    throw new CpuException(Vector.GP, ext, `task switch to TSS ${hex16(selector)}: EIP ${hex32(cpu.eip)} is beyond the CS limit`);
  }
}

/**
 * SDM 7.2.1, the T flag: once the switch is complete, before the new task's
 * first instruction, a #DB trap with DR6.BT set.
 */
export function raiseTaskTrap(cpu: CPU, t: TaskSwitch): void {
  if (!t.trap) return;
  cpu.dr[6] = cpu.dr[6]! | DR6_BT;
  throw new CpuException(Vector.DB, -1, `the T flag of TSS ${hex16(cpu.trSel)}: a debug trap on the task switch`);
}

function loadTaskLdt(cpu: CPU, ldt: number, tsFail: (sel: number, why: string) => never): void {
  if ((ldt & 0xfffc) === 0) {
    cpu.ldtSel = 0; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    return;
  }
  if (ldt & 4) tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} points into an LDT`);
  const d = readDescriptor(cpu, ldt) ?? tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} is outside the GDT`);
  if (systemType(d) !== LDT_TYPE || (d.access & ACC_PRESENT) === 0) tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} is not a present LDT`);
  cpu.ldtSel = ldt; cpu.ldtBase = d.base; cpu.ldtLimit = d.limit;
}

/** The new task's CS, whose RPL is its CPL (SDM 7.3, Table 7-1). */
function loadTaskCode(cpu: CPU, cs: number, ext: number, tsFail: (sel: number, why: string) => never): void {
  if ((cs & 0xfffc) === 0) tsFail(cs, 'the new task\'s CS is a null selector');
  const d = readDescriptor(cpu, cs) ?? tsFail(cs, `the new task's CS ${hex16(cs)} is outside the descriptor table`);
  if ((d.access & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE)) tsFail(cs, `the new task's CS ${hex16(cs)} is not a code segment`);
  const dpl = descriptorDpl(d.access);
  const rpl = cs & 3;
  if ((d.access & ACC_CONFORMING) ? dpl > rpl : dpl !== rpl) tsFail(cs, `the new task's CS ${hex16(cs)} has DPL ${dpl} but RPL ${rpl}`);
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.NP, (cs & 0xfffc) | ext, `the new task's CS ${hex16(cs)} is not present`);
  if (rpl !== cpu.cpl) cpu.setCpl(rpl);
  loadSegmentCache(cpu, Seg.CS, cs, d);
}
