// Hardware task switching for the one use the lab PC models: a task gate in
// the IDT (SDM Vol. 3, 7.3 "Task Switching"; Vol. 2 "INT n", TASK-GATE), as
// kernels use for #DF so that the double-fault handler runs on a stack and in
// an address space known to be good. The outgoing task's state goes to its
// TSS, the incoming task's comes from the TSS the gate names, nested (NT set,
// the link field naming the old TSS, both busy); IRET with NT set goes back.
// JMP and CALL to a TSS or task gate stay outside the lab PC.
//
// A fault while loading the new task's segments is raised after the switch,
// as the SDM says (7.3, step 12); the engine then treats it as a fault during
// the delivery, which for #DF makes it a triple fault.

import type { CPU } from './cpu.ts';
import { Seg } from './cpu.ts';
import { CpuException, MachineStop, Vector, pushesErrorCode } from './exceptions.ts';
import { NT } from './flags.ts';
import type { Fail } from './inner-stack.ts';
import { loadDataSegment } from './ops/segment.ts';
import { switchedTask } from './debug-registers.ts';
import { writeCr3 } from './ops/system.ts';
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

const TSS32_AVAILABLE = 0x9;
const TSS32_BUSY = 0xb;
const TSS_BUSY_BIT = 0x2;
const CR0_TS = 1 << 3;
const CR0_PG = 1 << 31;
const LDT_TYPE = 0x2;

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
}

/**
 * Switch to the task whose TSS `selector` names, for exception or interrupt
 * `vector` (SDM "INT n", TASK-GATE, and 7.3). `returnEip` is saved as the
 * old task's EIP; `ext` is the EXT bit of error codes.
 */
export function switchTaskForInterrupt(cpu: CPU, selector: number, vector: number, errorCode: number, pushError: boolean, returnEip: number, ext: number, fail: Fail): TaskSwitch {
  const code = (selector & 0xfffc) | ext;
  if (selector & 4) fail(Vector.GP, code, `the task gate names ${hex16(selector)}, an LDT selector: a TSS descriptor is in the GDT`);
  const d = readDescriptor(cpu, selector) ?? fail(Vector.GP, code, `the task gate names ${hex16(selector)}, outside the GDT`);
  const type = d.access & (ACC_S | 0xf);
  if (type === 0x1 || type === 0x3) throw new MachineStop('unsupported', `the task gate names a 16-bit TSS (${hex16(selector)}): the lab PC models 32-bit TSSs only`);
  if (type === TSS32_BUSY) fail(Vector.GP, code, `the task gate names TSS ${hex16(selector)}, which is busy (a task cannot be re-entered)`);
  if (type !== TSS32_AVAILABLE) fail(Vector.GP, code, `the task gate names ${hex16(selector)}, which is not a TSS`);
  if ((d.access & ACC_PRESENT) === 0) fail(Vector.NP, code, `TSS ${hex16(selector)} is not present`);
  if (d.limit < TSS_MIN_LIMIT) fail(Vector.TS, code, `TSS ${hex16(selector)} has limit ${hex32(d.limit)}, below the 0x67 a 32-bit TSS needs`);
  if ((cpu.trSel & 0xfffc) === 0) fail(Vector.TS, ext, 'a task switch needs the current task\'s TSS to save it in, and no TSS was loaded with LTR');

  const t = switchTask(cpu, selector, d, true, returnEip, ext);
  if (pushError && pushesErrorCode(vector)) {
    cpu.push32(errorCode);
    t.frameAt = (cpu.segBase[Seg.SS] + cpu.getSP()) >>> 0;
    t.frameBytes = 4;
  }
  if (cpu.eip >>> 0 > cpu.segLimit[Seg.CS]! >>> 0) throw new CpuException(Vector.GP, ext, `task switch to TSS ${hex16(selector)}: EIP ${hex32(cpu.eip)} is beyond the CS limit`);
  return t;
}

/**
 * IRET with EFLAGS.NT set (SDM "IRET", TASK-RETURN): back to the task the
 * current TSS's link field names, which must be a busy 32-bit TSS; the task
 * left is no longer busy. `returnEip` (after the IRET) is saved as its EIP.
 */
export function returnToPreviousTask(cpu: CPU, returnEip: number): void {
  const link = readSystem32(cpu, cpu.trBase) & 0xffff;
  const ts = (why: string): never => { throw new CpuException(Vector.TS, link & 0xfffc, `IRET to the previous task: ${why}`); };
  if (link & 4) ts(`the link field ${hex16(link)} is an LDT selector`);
  const d = readDescriptor(cpu, link) ?? ts(`the link field ${hex16(link)} is outside the GDT`);
  if ((d.access & (ACC_S | 0xf)) !== TSS32_BUSY) ts(`the link field ${hex16(link)} names no busy 32-bit TSS (the task it names was not interrupted)`);
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.NP, link & 0xfffc, `IRET to the previous task: TSS ${hex16(link)} is not present`);
  if (d.limit < TSS_MIN_LIMIT) ts(`TSS ${hex16(link)} has limit ${hex32(d.limit)}, below the 0x67 a 32-bit TSS needs`);
  switchTask(cpu, link, d, false, returnEip, 0);
  if (cpu.eip >>> 0 > cpu.segLimit[Seg.CS]! >>> 0) throw new CpuException(Vector.GP, 0, `IRET to the previous task: EIP ${hex32(cpu.eip)} is beyond the CS limit`);
}

/**
 * SDM 7.3, steps 4-12, for a TSS `d` already checked: into a new task
 * (`nested`: an interrupt's switch) or back to the previous one (IRET).
 */
function switchTask(cpu: CPU, selector: number, d: Descriptor, nested: boolean, returnEip: number, ext: number): TaskSwitch {
  // Read the incoming state before writing the outgoing one: a page fault here leaves nothing changed.
  const at = (offset: number) => readSystem32(cpu, (d.base + offset) | 0);
  const cr3 = at(TSS_CR3);
  const eip = at(TSS_EIP);
  const eflags = at(TSS_EFLAGS);
  const gprs = Array.from({ length: 8 }, (_, i) => at(TSS_GPRS + 4 * i));
  const segments = Array.from({ length: 6 }, (_, i) => at(TSS_SEGMENTS + 4 * i) & 0xffff);
  const ldt = at(TSS_LDT) & 0xffff;
  if (at(TSS_TRAP) & 1) throw new MachineStop('unsupported', `TSS ${hex16(selector)} has its T (debug trap) flag set: the lab PC does not model the #DB it raises on a task switch`);

  // Steps 5-7: the outgoing task's state, into its own TSS. An interrupt's switch leaves it busy; IRET's frees
  // it, and saves its EFLAGS with NT clear.
  const fromCpl = cpu.cpl;
  const fromCs = cpu.segSel[Seg.CS];
  const old = cpu.trBase;
  writeSystem32(cpu, (old + TSS_EIP) | 0, returnEip);
  writeSystem32(cpu, (old + TSS_EFLAGS) | 0, nested ? cpu.getFlags() : cpu.getFlags() & ~NT);
  for (let i = 0; i < 8; i++) writeSystem32(cpu, (old + TSS_GPRS + 4 * i) | 0, cpu.r32[i]!);
  for (let i = 0; i < 6; i++) writeSystem32(cpu, (old + TSS_SEGMENTS + 4 * i) | 0, cpu.segSel[i]!);
  if (!nested) {
    const current = readDescriptor(cpu, cpu.trSel);
    if (current) writeSystem8(cpu, (current.address + 5) | 0, current.access & ~TSS_BUSY_BIT);
  }

  // Steps 8-10: a nested switch links the new TSS to the old one and sets NT; the new TSS is busy; TR loaded.
  if (nested) {
    writeSystem32(cpu, d.base, cpu.trSel);
    writeSystem8(cpu, (d.address + 5) | 0, d.access | TSS_BUSY_BIT);
  }
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
  cpu.flags = (nested ? eflags | NT : eflags) | 0x2;
  // The new EFLAGS may let an interrupt in or set TF: the run loop must look before the next instruction.
  cpu.stopRequested = true;
  for (let i = 0; i < 8; i++) cpu.r32[i] = gprs[i]!;
  cpu.eip = eip;
  cpu.fetchPage = -1;

  // Step 12: the segment registers, checked in the new task's context; a bad one is #TS(selector) (SDM Table 7-1).
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
  return { fromCpl, fromCs, toCs: cpu.segSel[Seg.CS], toEip: cpu.eip, frameAt: (cpu.segBase[Seg.SS] + cpu.getSP()) >>> 0, frameBytes: 0 };
}

function loadTaskLdt(cpu: CPU, ldt: number, tsFail: (sel: number, why: string) => never): void {
  if ((ldt & 0xfffc) === 0) {
    cpu.ldtSel = 0; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    return;
  }
  if (ldt & 4) tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} points into an LDT`);
  const d = readDescriptor(cpu, ldt) ?? tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} is outside the GDT`);
  if ((d.access & (ACC_S | 0xf)) !== LDT_TYPE || (d.access & ACC_PRESENT) === 0) tsFail(ldt, `the new task's LDT selector ${hex16(ldt)} is not a present LDT`);
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
