// The ways into a hardware task switch (SDM Vol. 3, 7.3 "Task Switching",
// 7.4 "Task Linking"; Vol. 2 "JMP", "CALL", "INT n", "IRET"), each with the
// checks its instruction makes before the switch, in the SDM's order:
//
// - far JMP or CALL to a TSS descriptor, or to a task gate in the GDT or LDT
//   naming one: JMP frees the task it leaves; CALL nests (the new TSS links
//   back to the old one, EFLAGS.NT is set, both stay busy);
// - a task gate in the IDT, for any exception or interrupt: nested as CALL,
//   with the exception's error code pushed on the new task's stack;
// - IRET with EFLAGS.NT set: back to the task the link field names, which
//   must be busy; the task left is no longer busy.
//
// The switch itself is in task-switch.ts.

import type { CPU } from './cpu.ts';
import { Seg } from './cpu.ts';
import { CpuException, Vector, pushesErrorCode } from './exceptions.ts';
import type { Fail } from './inner-stack.ts';
import { hex16 } from '../hex.ts';
import { beyondInstruction, CYCLES } from './cycle-model.ts';
import { ACC_PRESENT, GATE_TASK, descriptorDpl, readDescriptor, readSystem32, type Descriptor } from '../memory/segmentation.ts';
import {
  SwitchReason, TSS16_AVAILABLE, TSS16_BUSY, TSS32_AVAILABLE, TSS32_BUSY, checkIncomingTss, checkTssLimit, raiseTaskTrap, switchTask, systemType, type TaskSwitch,
} from './task-switch.ts';

/** Is `d` (a descriptor a far JMP or CALL names) a TSS or a task gate? */
export function isTaskTarget(d: Descriptor): boolean {
  const type = systemType(d);
  return type === GATE_TASK || type === TSS16_AVAILABLE || type === TSS16_BUSY || type === TSS32_AVAILABLE || type === TSS32_BUSY;
}

/**
 * The TSS descriptor a task gate names (SDM "JMP"/"CALL", TASK-GATE, and
 * "INT n", TASK-GATE): a TSS descriptor lies in the GDT only, so an LDT
 * selector or one beyond the GDT is #GP(TSS selector).
 */
function tssOfGate(cpu: CPU, selector: number, code: number, fail: Fail): Descriptor {
  if (selector & 4) fail(Vector.GP, code, `the task gate names ${hex16(selector)}, an LDT selector: a TSS descriptor is in the GDT`);
  return readDescriptor(cpu, selector) ?? fail(Vector.GP, code, `the task gate names ${hex16(selector)}, outside the GDT`);
}

/**
 * Far JMP (`call` false) or far CALL to the TSS or task gate `selector`
 * names. The privilege check is on the gate when there is one (a task gate
 * lets less privileged code into a task whose TSS it could not name), else on
 * the TSS; the switched-to task runs at the CPL its CS says.
 */
export function farTransferToTask(cpu: CPU, selector: number, d: Descriptor, call: boolean): void {
  const what = call ? 'far CALL' : 'far JMP';
  const fail = (vector: Vector, code: number, why: string): never => {
    throw new CpuException(vector, code & 0xfffc, `${what} to ${hex16(selector)}: ${why}`);
  };
  const rpl = selector & 3;
  const dpl = descriptorDpl(d.access);
  let tss = selector;
  let td = d;
  if (systemType(d) === GATE_TASK) {
    if (dpl < cpu.cpl || dpl < rpl) fail(Vector.GP, selector, `task gate DPL ${dpl} is more privileged than CPL ${cpu.cpl} / RPL ${rpl}`);
    if ((d.access & ACC_PRESENT) === 0) fail(Vector.NP, selector, 'the task gate is not present');
    tss = (d.low >>> 16) & 0xffff;
    td = tssOfGate(cpu, tss, tss, fail);
  } else {
    if (selector & 4) fail(Vector.GP, selector, 'a TSS descriptor must be in the GDT, and this selector names the LDT');
    if (dpl < cpu.cpl || dpl < rpl) fail(Vector.GP, selector, `TSS DPL ${dpl} is more privileged than CPL ${cpu.cpl} / RPL ${rpl}`);
  }
  checkIncomingTss(tss, td, tss, fail);
  cpu.extraCycles += beyondInstruction(CYCLES.farTransfer);
  const t = switchTask(cpu, tss, td, call ? SwitchReason.Call : SwitchReason.Jump, cpu.eip, 0);
  emitTaskSwitch(cpu, t);
  raiseTaskTrap(cpu, t);
}

/**
 * A task gate in the IDT (SDM "INT n", TASK-GATE, and 6.11): switch to the
 * task whose TSS `selector` names for exception or interrupt `vector`.
 * `returnEip` is saved as the old task's EIP; `ext` is the EXT bit of error
 * codes. An exception's error code goes on the new task's stack.
 */
export function switchTaskForInterrupt(cpu: CPU, selector: number, vector: number, errorCode: number, pushError: boolean, returnEip: number, ext: number, fail: Fail): TaskSwitch {
  const code = (selector & 0xfffc) | ext;
  const d = tssOfGate(cpu, selector, code, fail);
  checkIncomingTss(selector, d, code, fail);
  const t = switchTask(cpu, selector, d, SwitchReason.Interrupt, returnEip, ext);
  t.frameAt = (cpu.segBase[Seg.SS] + cpu.getSP()) >>> 0;
  if (pushError && pushesErrorCode(vector)) {
    cpu.push32(errorCode);
    t.frameAt = (cpu.segBase[Seg.SS] + cpu.getSP()) >>> 0;
    t.frameBytes = 4;
  }
  raiseTaskTrap(cpu, t);
  return t;
}

/**
 * IRET with EFLAGS.NT set (SDM "IRET", TASK-RETURN): back to the task the
 * current TSS's link field names, which must be a busy 32-bit TSS in the GDT
 * (#TS(link) otherwise). The EIP after the IRET is saved as the task left's.
 */
export function returnToPreviousTask(cpu: CPU): void {
  const link = readSystem32(cpu, cpu.trBase) & 0xffff;
  const fail = (vector: Vector, code: number, why: string): never => {
    throw new CpuException(vector, code & 0xfffc, `IRET to the previous task: ${why}`);
  };
  if (link & 4) fail(Vector.TS, link, `the link field ${hex16(link)} is an LDT selector`);
  const d = readDescriptor(cpu, link) ?? fail(Vector.TS, link, `the link field ${hex16(link)} is outside the GDT`);
  if (systemType(d) !== TSS32_BUSY) fail(Vector.TS, link, `the link field ${hex16(link)} names no busy 32-bit TSS (the task it names was not interrupted or called)`);
  if ((d.access & ACC_PRESENT) === 0) fail(Vector.NP, link, `TSS ${hex16(link)} is not present`);
  checkTssLimit(link, d, link, fail);
  const t = switchTask(cpu, link, d, SwitchReason.Iret, cpu.eip, 0);
  emitTaskSwitch(cpu, t);
  raiseTaskTrap(cpu, t);
}

/** A JMP, CALL or IRET switched tasks: the event stream hears of it, as of a delivery through a task gate. */
function emitTaskSwitch(cpu: CPU, t: TaskSwitch): void {
  cpu.emit?.({ type: 'task-switch', icount: cpu.retired, fromCpl: t.fromCpl, toCpl: cpu.cpl, toCs: t.toCs, toEip: t.toEip, eflags: cpu.getFlags() });
}
