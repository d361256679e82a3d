// The stack a transfer to a more privileged ring runs on (SDM Vol. 3,
// 6.12.1 for interrupts and exceptions, 5.8.5 for call gates): SSn:ESPn from
// the current TSS, checked in the order the SDM lists it, and the frame the
// CPU pushes there before anything else changes.

import type { CPU } from './cpu.ts';
import { CpuException, Vector } from './exceptions.ts';
import { Access } from '../memory/paging.ts';
import { outsideSegment } from './linear-memory.ts';
import { hex16 } from '../hex.ts';
import {
  ACC_CODE, ACC_PRESENT, ACC_S, ACC_WRITABLE_OR_READABLE, DESCRIPTOR_BIG,
  descriptorDpl, readDescriptor, readSystem32, type Descriptor,
} from '../memory/segmentation.ts';

/** Raises the exception the caller's instruction names, with its own wording of the reason. */
export type Fail = (vector: Vector, code: number, why: string) => never;

/** A stack a frame is about to go on: its segment as a segment register's cache holds it, and ESP. */
export interface FrameStack {
  /** Access bits in the layout of CpuState.segAccess. */
  access: number;
  limit: number;
  esp: number;
  /** The B bit of SS: pushes move ESP, or SP alone. */
  stack32: boolean;
}

export interface InnerStack extends FrameStack {
  ss: number;
  descriptor: Descriptor;
  base: number;
}

/**
 * SSn:ESPn for ring `dpl` from the TSS. `ssBytes` is how much of the SSn slot
 * the instruction's pseudocode reads, which sets the TSS limit it needs
 * (SDM "INT n": TSSstackAddress + 7; "CALL": TSSstackAddress + 5). `ext` is
 * the EXT bit of the error codes (set for hardware-raised deliveries).
 */
export function innerStackFromTss(cpu: CPU, dpl: number, fromCpl: number, ssBytes: 2 | 4, ext: number, fail: Fail): InnerStack {
  const slot = 4 + 8 * dpl;
  if ((cpu.trSel & 0xfffc) === 0 || slot + 4 + ssBytes - 1 > cpu.trLimit) {
    fail(Vector.TS, (cpu.trSel & 0xfffc) | ext, `entering ring ${dpl} from ring ${fromCpl} needs SS${dpl}:ESP${dpl} from the TSS, but ${(cpu.trSel & 0xfffc) === 0 ? 'no TSS was loaded with LTR' : 'the TSS limit is too small'}`);
  }
  const esp = readSystem32(cpu, (cpu.trBase + slot) | 0);
  const ss = readSystem32(cpu, (cpu.trBase + slot + 4) | 0) & 0xffff;
  // SDM 6.12.1 and "CALL", MORE-PRIVILEGE: checks on the stack segment from the TSS raise #TS, absence #SS.
  if ((ss & 0xfffc) === 0) fail(Vector.TS, ext, `TSS SS${dpl} is a null selector`);
  const descriptor = readDescriptor(cpu, ss) ?? fail(Vector.TS, (ss & 0xfffc) | ext, `TSS SS${dpl} ${hex16(ss)} is outside the descriptor table`);
  if ((ss & 3) !== dpl || descriptorDpl(descriptor.access) !== dpl
    || (descriptor.access & (ACC_S | ACC_CODE | ACC_WRITABLE_OR_READABLE)) !== (ACC_S | ACC_WRITABLE_OR_READABLE)) {
    fail(Vector.TS, (ss & 0xfffc) | ext, `TSS SS${dpl} ${hex16(ss)} is not a writable data segment with DPL and RPL ${dpl}`);
  }
  if ((descriptor.access & ACC_PRESENT) === 0) fail(Vector.SS, (ss & 0xfffc) | ext, `TSS SS${dpl} ${hex16(ss)} is not present`);
  return {
    ss, descriptor, base: descriptor.base, esp, stack32: (descriptor.high & DESCRIPTOR_BIG) !== 0,
    access: (descriptor.high >>> 8) & 0xf0ff, limit: descriptor.limit,
  };
}

/** Where ESP points inside its stack segment: all of it, or SP alone on a 16-bit stack. */
export function stackOffset(esp: number, stack32: boolean): number {
  return stack32 ? esp : esp & 0xffff;
}

/**
 * Does the stack hold `bytes` of dword pushes below ESP? Each push is
 * checked as PUSH checks it: at the offset the stack's size wraps it to.
 */
export function hasRoomFor(stack: FrameStack, bytes: number): boolean {
  let sp = stack.esp;
  for (let pushed = 0; pushed < bytes; pushed += 4) {
    sp = (sp - 4) | 0;
    if (outsideSegment(stack.access, stack.limit, stackOffset(sp, stack.stack32), 4)) return false;
  }
  return true;
}

/** Write a dword of a frame the CPU builds: a supervisor access unless the code it enters runs in ring 3. */
function writeFrame32(cpu: CPU, linear: number, value: number, cpl: number): void {
  if (cpl === 3) {
    cpu.write32(linear, value);
    return;
  }
  for (let i = 0; i < 4; i++) {
    const lin = (linear + i) | 0;
    cpu.writePhys8(cpu.translate(lin, Access.SystemWrite), value >>> (8 * i));
  }
}

/**
 * Push `values` (dwords, first pushed first) below `esp` on the stack at
 * `base`, without touching ESP or SS, and return the new stack pointer. On a
 * 16-bit stack the frame goes below SP, wrapping at 64 KiB, and ESP's upper
 * half stays as it was. A fault's message says what was being pushed and
 * where, as `describe` tells it: only then, since a kernel delivers
 * thousands of interrupts that never fault.
 */
export function pushFrame(cpu: CPU, base: number, esp: number, stack32: boolean, values: readonly number[], cpl: number, describe: () => string): number {
  let sp = esp;
  for (const value of values) {
    sp = stack32 ? (sp - 4) | 0 : (sp & ~0xffff) | ((sp - 4) & 0xffff);
    try {
      writeFrame32(cpu, (base + stackOffset(sp, stack32)) | 0, value, cpl);
    } catch (e) {
      if (!(e instanceof CpuException)) throw e;
      throw new CpuException(e.vector, e.errorCode, `${describe()} faulted: ${e.detail}`);
    }
  }
  return sp;
}
