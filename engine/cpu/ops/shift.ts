// Shift and rotate instructions (SDM Vol. 2, "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR",
// "SHLD", "SHRD"): group 2 (C0 C1 D0 D1 D2 D3) and the double shifts 0F A4/A5/AC/AD.
//
// Where the SDM leaves a flag or a result undefined, this file reproduces
// qemu-system-i386 7.2 (the second oracle of the differential tests):
//   - shifts: AF = 0; OF = MSB(value shifted by count-1) XOR MSB(result) for any
//     count, which is the SDM's count-1 definition when count = 1; CF is the last
//     bit shifted out for every count, so SHL/SHR by more than the width give 0;
//   - ROL/ROR: CF and OF use the count-1 formulas on the final result for any
//     nonzero count, including multiples of the width;
//   - RCL/RCR: OF = MSB(original) XOR MSB(result); a count that reduces to 0
//     modulo 9 or 17 leaves CF and OF as they were;
//   - 16-bit SHLD/SHRD with count > 16 shift through the 48-bit dest:src:dest
//     QEMU builds (see shiftDouble16).
// A zero count (after masking to 5 bits) changes no flags and writes nothing back;
// a memory operand is still read, so an unreadable operand still faults.

import type { CPU } from '../cpu.ts';
import type { Op } from '../opcode-family.ts';
import { ARITH, CF, MASK, OF } from '../flags.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { isLinearShift, linearShift } from './arith-semantics.ts';
import { decodeModRM } from '../compile/code-reader.ts';

export const shiftOpcodes = new OpcodeFamily('ops/shift.ts');
const { def, def0F, def2, emit } = shiftOpcodes;

const enum ShiftOp { Rol = 0, Ror = 1, Rcl = 2, Rcr = 3, Shl = 4, Shr = 5, Sal = 6, Sar = 7 }

// A shift computes its flags before its result is stored, but must not apply
// them until the store succeeded: a write that page-faults has to leave EFLAGS
// as they were, or the restarted RCL/RCR would rotate a different carry in.
// The flags wait here (no allocation per instruction) until commitFlags().
/** Status flag values the last shift produced. */
let pendingFlags = 0;
/** Which status flags pendingFlags replaces: ARITH for shifts, CF|OF for rotates, 0 for none. */
let pendingMask = 0;

export function commitFlags(cpu: CPU): void {
  if (pendingMask === ARITH) {
    cpu.setArithFlags(pendingFlags);
  } else if (pendingMask !== 0) {
    cpu.materializeFlags();
    cpu.flags = (cpu.flags & ~pendingMask) | pendingFlags;
  }
}

/** Flags of a shift: CF from `beforeLast` (the value shifted by count-1), OF = MSB(beforeLast ^ r). */
function shiftFlags(cpu: CPU, cf: number, beforeLast: number, r: number, size: number): void {
  const top = size * 8 - 1;
  pendingFlags = cf | (((beforeLast ^ r) >>> top) & 1 ? OF : 0) | cpu.szp(r, size); // AF = 0
  pendingMask = ARITH;
}

/** Where linearShift leaves the CF and OF bits of the shift just computed. */
const shifted = { flags: 0 };

function rotateFlags(cf: number, of: number): void {
  pendingFlags = (cf ? CF : 0) | (of ? OF : 0);
  pendingMask = CF | OF;
}

/**
 * Group 2 operation `op` on `v` (masked to `size` bytes) by `count` (already masked
 * to 5 bits and nonzero). Returns the result masked to size; the flags are left
 * pending for commitFlags().
 */
export function shiftRotate(cpu: CPU, op: number, v: number, count: number, size: number): number {
  const bits = size * 8;
  const mask = MASK[size]!;
  const top = bits - 1;
  switch (op) {
    case ShiftOp.Rol: {
      // Rotating by a multiple of the width leaves the value but still sets CF and OF.
      const n = count & top;
      const r = n === 0 ? v : ((v << n) | (v >>> (bits - n))) & mask;
      const cf = r & 1;
      rotateFlags(cf, ((r >>> top) & 1) ^ cf);
      return r;
    }
    case ShiftOp.Ror: {
      const n = count & top;
      const r = n === 0 ? v : ((v >>> n) | (v << (bits - n))) & mask;
      const cf = (r >>> top) & 1;
      rotateFlags(cf, cf ^ ((r >>> (top - 1)) & 1));
      return r;
    }
    case ShiftOp.Rcl: {
      // SDM: the rotation goes through CF, a bits+1 wide ring, hence count mod 9 and mod 17.
      const n = size === 1 ? count % 9 : size === 2 ? count % 17 : count;
      if (n === 0) {
        pendingMask = 0;
        return v;
      }
      const cin = cpu.getCF() ? 1 : 0;
      let r = (v << n) | (cin << (n - 1));
      if (n > 1) r |= v >>> (bits + 1 - n);
      r &= mask;
      rotateFlags((v >>> (bits - n)) & 1, ((v ^ r) >>> top) & 1);
      return r;
    }
    case ShiftOp.Rcr: {
      const n = size === 1 ? count % 9 : size === 2 ? count % 17 : count;
      if (n === 0) {
        pendingMask = 0;
        return v;
      }
      const cin = cpu.getCF() ? 1 : 0;
      let r = (v >>> n) | (cin << (bits - n));
      if (n > 1) r |= v << (bits + 1 - n);
      r &= mask;
      rotateFlags((v >>> (n - 1)) & 1, ((v ^ r) >>> top) & 1);
      return r;
    }
    default: { // SHL/SAL, SHR, SAR
      const r = linearShift(op, v, count, size, shifted);
      pendingFlags = shifted.flags | cpu.szp(r, size); // AF = 0
      pendingMask = ARITH;
      return r;
    }
  }
}

/** SHLD (left) or SHRD 32-bit: `dest` shifted by `count` (1..31), vacated bits filled from `src`. */
function shiftDouble32(cpu: CPU, right: boolean, dest: number, src: number, count: number): number {
  if (right) {
    const beforeLast = dest >>> (count - 1);
    const r = (dest >>> count) | (src << (32 - count));
    shiftFlags(cpu, beforeLast & 1, beforeLast, r, 4);
    return r;
  }
  const beforeLast = dest << (count - 1);
  const r = (dest << count) | (src >>> (32 - count));
  shiftFlags(cpu, beforeLast >>> 31, beforeLast, r, 4);
  return r;
}

/**
 * SHLD/SHRD 16-bit. Counts 1..16 are the SDM's; for 17..31 the SDM says the result
 * and flags are undefined, and QEMU shifts the 32-bit src:dest (SHLD) or
 * dest:src:dest (SHRD, "Intel behaviour") pattern. The flag source for SHLD is
 * (dest << count-1) | (src:dest >>> 33-count), for SHRD (src:dest) >>> count-1,
 * exactly as QEMU forms its count-1 value, so OF and CF match it for every count.
 */
function shiftDouble16(cpu: CPU, right: boolean, dest: number, src: number, count: number): number {
  const srcDest = (src << 16) | dest;
  if (right) {
    const beforeLast = srcDest >>> (count - 1);
    const r = ((srcDest >>> count) | (dest << (32 - count))) & 0xffff;
    shiftFlags(cpu, beforeLast & 1, beforeLast, r, 2);
    return r;
  }
  // For count 1 the shift by 32 is a shift by 0 in JS as on QEMU's x86 host; its
  // low 16 bits are dest either way, so the flag source is just dest.
  const beforeLast = ((dest << (count - 1)) | (srcDest >>> (33 - count))) & 0xffff;
  const r = ((dest << count) | (srcDest >>> (32 - count))) & 0xffff;
  shiftFlags(cpu, (beforeLast >>> 15) & 1, beforeLast, r, 2);
  return r;
}




// ---- group 2 -------------------------------------------------------------------

const enum Count { One, CL, Imm8 }

function group2(size: number, from: Count): Op {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const op = (m >>> 3) & 7;
    if (m >= 0xc0) {
      const count = (from === Count.One ? 1 : from === Count.CL ? cpu.r8[4] : cpu.fetch8()) & 31;
      if (count === 0) return;
      const reg = m & 7;
      cpu.writeReg(reg, size, shiftRotate(cpu, op, cpu.readReg(reg, size), count, size));
    } else {
      const lin = cpu.ea(m); // fetches the displacement, which precedes an imm8 count
      const count = (from === Count.One ? 1 : from === Count.CL ? cpu.r8[4] : cpu.fetch8()) & 31;
      const v = cpu.readMem(lin, size);
      if (count === 0) return;
      cpu.writeMem(lin, size, shiftRotate(cpu, op, v, count, size));
    }
    commitFlags(cpu);
  };
}

def(0xc0, group2(1, Count.Imm8));
def2(0xc1, group2(4, Count.Imm8), group2(2, Count.Imm8));
def(0xd0, group2(1, Count.One));
def2(0xd1, group2(4, Count.One), group2(2, Count.One));
def(0xd2, group2(1, Count.CL));
def2(0xd3, group2(4, Count.CL), group2(2, Count.CL));

// ---- SHLD / SHRD: 0F A4 Ev,Gv,Ib  0F A5 Ev,Gv,CL  0F AC Ev,Gv,Ib  0F AD Ev,Gv,CL ----

function shiftDouble(size: number, right: boolean, immediate: boolean): Op {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const src = cpu.readReg((m >>> 3) & 7, size);
    const lin = m >= 0xc0 ? 0 : cpu.ea(m); // the displacement precedes an imm8 count
    const count = (immediate ? cpu.fetch8() : cpu.r8[4]) & 31;
    const dest = m >= 0xc0 ? cpu.readReg(m & 7, size) : cpu.readMem(lin, size);
    if (count === 0) return;
    const r = size === 4
      ? shiftDouble32(cpu, right, dest, src, count)
      : shiftDouble16(cpu, right, dest, src, count);
    if (m >= 0xc0) cpu.writeReg(m & 7, size, r);
    else cpu.writeMem(lin, size, r);
    commitFlags(cpu);
  };
}

def0F(0xa4, shiftDouble(4, false, true), shiftDouble(2, false, true));
def0F(0xa5, shiftDouble(4, false, false), shiftDouble(2, false, false));
def0F(0xac, shiftDouble(4, true, true), shiftDouble(2, true, true));
def0F(0xad, shiftDouble(4, true, false), shiftDouble(2, true, false));

// ---- compiled forms (see opcode-family.ts) ----------------------------------------
// Shifts and rotates of a register (RCL and RCR are the interpreter's).

// By imm8 (C1) or by 1 (D1).
emit([0xc1, 0xd1], (c, code, op) => {
  const m = decodeModRM(code, code.u8());
  if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
  const count = (op === 0xd1 ? 1 : code.u8()) & 31;
  if (count === 0) return c.straight('');
  // Only the inline shifts leave their result in r for a following Jcc.
  if (isLinearShift(m.reg)) c.producedShift(4);
  return c.straight(c.shiftCode(m.reg, m.rmReg, String(count)));
});

// By CL (D3).
emit(0xd3, (c, code) => {
  const m = decodeModRM(code, code.u8());
  if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
  // A zero count changes no flags, so what follows cannot assume the locals hold this instruction's.
  return c.straight(`y = r8[4] & 31; if (y !== 0) { ${c.shiftCode(m.reg, m.rmReg, 'y')} }`);
});
