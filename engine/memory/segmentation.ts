// Segmentation in protected mode (SDM Vol. 3, chapter 3 and 5.5-5.8): what a
// segment descriptor and an IDT gate hold, reading them from the GDT/LDT/IDT
// as the CPU does, loading a segment register's hidden part, and the checks
// shared by the instructions and by interrupt delivery that return to an
// outer ring. The CPU (ops/, interrupts.ts) and the inspection API
// (inspect/tables.ts) decode descriptors and gates here, and only here.

import type { CPU } from '../cpu/cpu.ts';
import { Seg } from '../cpu/cpu.ts';
import { CpuException, MachineStop, Vector } from '../cpu/exceptions.ts';
import { hex16, hex32 } from '../hex.ts';
import { Access } from './paging.ts';
import { beyondInstruction, CYCLES } from '../cpu/cycle-model.ts';

/** A descriptor as read from the GDT or LDT. */
export interface Descriptor {
  low: number;
  high: number;
  base: number;
  /** Limit in bytes, scaled by the G bit: unsigned, 0xFFFFFFFF for a 4 GiB segment. */
  limit: number;
  /** Type (4 bits), S, DPL, P: bits 8..15 of the high dword, shifted down. */
  access: number;
  /** Linear address of the descriptor, for writing the accessed bit back. */
  address: number;
}

export const ACC_ACCESSED = 0x01;
export const ACC_WRITABLE_OR_READABLE = 0x02;
export const ACC_CONFORMING = 0x04;
export const ACC_CODE = 0x08;
export const ACC_S = 0x10;
export const ACC_PRESENT = 0x80;

/** The D/B bit of the high dword: 32-bit code, or a 32-bit stack (ESP rather than SP). */
export const DESCRIPTOR_BIG = 1 << 22;

export function descriptorDpl(access: number): number {
  return (access >>> 5) & 3;
}

/** Decode the two dwords of a segment descriptor found at linear `address` (SDM 3.4.5). */
export function decodeDescriptor(low: number, high: number, address: number): Descriptor {
  let limit = (low & 0xffff) | (high & 0xf0000);
  // G bit: the limit counts 4 KiB units, and the low 12 bits of an offset are always within it.
  if (high & (1 << 23)) limit = (limit << 12) | 0xfff;
  return {
    low, high,
    base: (low >>> 16) | ((high & 0xff) << 16) | (high & 0xff000000),
    // Unsigned, so that TR's and LDTR's limits compare as numbers: a 4 GiB TSS is not a negative one.
    limit: limit >>> 0,
    access: (high >>> 8) & 0xff,
    address,
  };
}

/** System-descriptor and gate types (the 4-bit type field with S = 0, SDM Table 3-2). */
export const GATE_TASK = 0x5;
export const GATE_INTERRUPT_16 = 0x6;
export const GATE_TRAP_16 = 0x7;
export const GATE_INTERRUPT_32 = 0xe;
export const GATE_TRAP_32 = 0xf;

/** An IDT entry (SDM 6.11, Figure 6-2). */
export interface Gate {
  /** Bits 8..12 of the high dword: the gate type with the S bit, which is 0 in a valid gate. */
  type: number;
  dpl: number;
  present: boolean;
  selector: number;
  /** Handler offset, as an int32. */
  offset: number;
}

export function decodeGate(low: number, high: number): Gate {
  return {
    type: (high >>> 8) & 0x1f,
    dpl: (high >>> 13) & 3,
    present: (high & (1 << 15)) !== 0,
    selector: low >>> 16,
    offset: (low & 0xffff) | (high & 0xffff0000),
  };
}

/** Read a 32-bit value of a system structure: checked as a supervisor access whatever the CPL. */
export function readSystem32(cpu: CPU, linear: number): number {
  const p0 = cpu.translate(linear, Access.SystemRead);
  if ((linear & 0xfff) <= 0xffc) {
    return cpu.readPhys8(p0) | (cpu.readPhys8(p0 + 1) << 8) | (cpu.readPhys8(p0 + 2) << 16) | (cpu.readPhys8(p0 + 3) << 24);
  }
  let v = 0;
  for (let i = 0; i < 4; i++) v |= cpu.readPhys8(cpu.translate((linear + i) | 0, Access.SystemRead)) << (8 * i);
  return v;
}

export function writeSystem8(cpu: CPU, linear: number, v: number): void {
  cpu.writePhys8(cpu.translate(linear, Access.SystemWrite), v);
}

/**
 * Read the descriptor `selector` names, or return null when the selector is
 * outside its table (the caller raises the right exception for its context).
 */
export function readDescriptor(cpu: CPU, selector: number): Descriptor | null {
  const ldt = (selector & 4) !== 0;
  const base = ldt ? cpu.ldtBase : cpu.gdtBase;
  const limit = ldt ? cpu.ldtLimit : cpu.gdtLimit;
  if (ldt && (cpu.ldtSel & 0xfffc) === 0) return null;
  if ((selector | 7) > limit) return null;
  const address = (base + (selector & 0xfff8)) | 0;
  const low = readSystem32(cpu, address);
  const high = readSystem32(cpu, (address + 4) | 0);
  return decodeDescriptor(low, high, address);
}

/** Install a descriptor in a segment register's hidden part. */
export function loadSegmentCache(cpu: CPU, seg: number, selector: number, d: Descriptor | null): void {
  cpu.segSel[seg] = selector;
  if (seg === Seg.CS) {
    cpu.csBase = d ? d.base : 0;
    cpu.fetchPage = -1;
  }
  if (d === null) {
    // A null selector in DS/ES/FS/GS: any access through it raises #GP(0).
    cpu.segBase[seg] = 0;
    cpu.segLimit[seg] = 0;
    cpu.segAccess[seg] = 0;
    cpu.segNeedsCheck[seg] = 1;
    cpu.blocks?.segmentChecked(seg);
    return;
  }
  cpu.segBase[seg] = d.base;
  cpu.segLimit[seg] = d.limit;
  cpu.segAccess[seg] = (d.high >>> 8) & 0xf0ff;
  const expandDownData = (d.access & (ACC_CODE | ACC_CONFORMING)) === ACC_CONFORMING;
  // Compiled code takes "no check" to mean base 0 as well (instruction-compiler.ts, address()).
  cpu.segNeedsCheck[seg] = d.base === 0 && d.limit === 0xffffffff && !expandDownData ? 0 : 1;
  if (cpu.segNeedsCheck[seg] !== 0) cpu.blocks?.segmentChecked(seg);
  if (seg === Seg.SS) cpu.stack32 = (d.high & DESCRIPTOR_BIG) !== 0;
  // SDM 3.4.5: the processor sets the accessed bit when it loads the descriptor.
  if ((d.access & ACC_ACCESSED) === 0) writeSystem8(cpu, (d.address + 5) | 0, d.access | ACC_ACCESSED);
}

/**
 * Load CS for a far transfer that passed its checks, at privilege `cpl`
 * (CS.RPL becomes it), and go to `offset`, which must lie within the limit.
 * This ends every far transfer: its `cycles` count for the ring it leaves,
 * so they are charged before the CPL changes.
 */
export function loadCodeSegment(cpu: CPU, selector: number, d: Descriptor, cpl: number, offset: number, cycles: number = CYCLES.farTransfer): void {
  cpu.extraCycles += beyondInstruction(cycles);
  if (offset >>> 0 > d.limit >>> 0) gp(0, `target offset ${hex32(offset)} is beyond the code segment limit ${hex32(d.limit)}`);
  if ((d.high & DESCRIPTOR_BIG) === 0) {
    throw new MachineStop('unsupported', `16-bit code segment (selector ${hex16(selector)}): the lab PC runs 32-bit protected mode only`);
  }
  loadSegmentCache(cpu, Seg.CS, (selector & 0xfffc) | cpl, d);
  if (cpl !== cpu.cpl) cpu.setCpl(cpl);
  cpu.eip = offset;
  cpu.fetchPage = -1;
}

function gp(selector: number, why: string): never {
  throw new CpuException(Vector.GP, selector & 0xfffc, why);
}

/**
 * The checks on the CS popped by a far RET or an IRET (SDM "RET" and "IRET",
 * protected mode), in the manual's order, without loading it. Its RPL is the
 * ring returned to: the same or an outer one, never an inner one.
 */
export function checkReturnCode(cpu: CPU, selector: number, what: string): Descriptor {
  const rpl = selector & 3;
  if ((selector & 0xfffc) === 0) gp(0, `${what}: return CS is a null selector`);
  const d = readDescriptor(cpu, selector) ?? gp(selector, `${what}: return CS ${hex16(selector)} is outside the descriptor table`);
  if ((d.access & (ACC_S | ACC_CODE)) !== (ACC_S | ACC_CODE)) gp(selector, `${what}: return CS ${hex16(selector)} is not a code segment`);
  if (rpl < cpu.cpl) gp(selector, `${what}: return CS ${hex16(selector)} has RPL ${rpl}, more privileged than CPL ${cpu.cpl}`);
  const dpl = descriptorDpl(d.access);
  // A conforming segment may be more privileged than the ring it runs at; any other runs at its DPL.
  if ((d.access & ACC_CONFORMING) ? dpl > rpl : dpl !== rpl) gp(selector, `${what}: return CS ${hex16(selector)} has DPL ${dpl} but RPL ${rpl}`);
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.NP, selector & 0xfffc, `${what}: return CS ${hex16(selector)} is not present`);
  return d;
}

/**
 * The checks on the SS popped by a return to outer ring `rpl` (SDM "RET" and
 * "IRET", RETURN-TO-OUTER-PRIVILEGE-LEVEL), without loading it.
 */
export function checkReturnStack(cpu: CPU, ss: number, rpl: number, what: string): Descriptor {
  if ((ss & 0xfffc) === 0) gp(0, `${what}: return SS is a null selector`);
  const d = readDescriptor(cpu, ss) ?? gp(ss, `${what}: return SS ${hex16(ss)} is outside the descriptor table`);
  if ((ss & 3) !== rpl) gp(ss, `${what}: return SS ${hex16(ss)} has RPL ${ss & 3}, but the return CS has RPL ${rpl}`);
  if ((d.access & (ACC_S | ACC_CODE | ACC_WRITABLE_OR_READABLE)) !== (ACC_S | ACC_WRITABLE_OR_READABLE)) {
    gp(ss, `${what}: return SS ${hex16(ss)} is not a writable data segment`);
  }
  if (descriptorDpl(d.access) !== rpl) gp(ss, `${what}: return SS ${hex16(ss)} has DPL ${descriptorDpl(d.access)}, not ${rpl}`);
  if ((d.access & ACC_PRESENT) === 0) throw new CpuException(Vector.SS, ss & 0xfffc, `${what}: return SS ${hex16(ss)} is not present`);
  return d;
}

/** After a return to an outer ring, data segments the new CPL may not use become null (SDM "RET", "IRET"). */
export function nullInaccessibleSegments(cpu: CPU): void {
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS]) {
    const access = cpu.segAccess[seg] & 0xff;
    if ((cpu.segSel[seg] & 0xfffc) === 0) continue;
    const conformingCode = (access & (ACC_CODE | ACC_CONFORMING)) === (ACC_CODE | ACC_CONFORMING);
    if (!conformingCode && descriptorDpl(access) < cpu.cpl) loadSegmentCache(cpu, seg, 0, null);
  }
}
