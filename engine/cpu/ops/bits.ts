// Bit and byte instructions (SDM Vol. 1, 7.3.7 and 7.3.9; Vol. 2 by name): BT BTS
// BTR BTC (register and immediate bit offsets), BSF BSR, BSWAP, SETcc, CMOVcc.
//
// Undefined flags, chosen to be deterministic and close to qemu-system-i386 7.2:
//   - BT/BTS/BTR/BTC change CF only. The SDM leaves OF, SF, AF and PF undefined and
//     ZF unaffected; QEMU keeps all of them when the previous flags are already
//     materialized and otherwise derives OF/AF from its lazy state, which depends
//     on translation-block boundaries. Keeping them is the one stable choice.
//   - BSF/BSR set the flags QEMU does, as a logic op on the source: ZF = (src = 0),
//     SF and PF from the source, CF = OF = AF = 0. With a zero source the
//     destination keeps its value (the SDM says undefined; hardware and QEMU keep it).
//   - BSWAP with the 0x66 prefix (SDM: undefined) swaps all 32 bits, as QEMU does.

import type { CPU } from '../cpu.ts';
import type { Op } from '../opcode-family.ts';
import { CF, Lazy, MASK } from '../flags.ts';
import { OpcodeFamily, range } from '../opcode-family.ts';
import { decodeModRM } from '../compile/code-reader.ts';
import { CYCLES } from '../cycle-model.ts';

export const bitsOpcodes = new OpcodeFamily('ops/bits.ts');
const { def0F, emit } = bitsOpcodes;

const enum BitOp { Bt = 0, Bts = 1, Btr = 2, Btc = 3 }

/** Apply `op` to bit `bit` of `v`: returns the new value (unchanged for BT). */
function bitOp(op: number, v: number, bit: number): number {
  const m = 1 << bit;
  switch (op) {
    case BitOp.Bts: return v | m;
    case BitOp.Btr: return v & ~m;
    case BitOp.Btc: return v ^ m;
    default: return v;
  }
}

/** CF = the tested bit; every other flag keeps its value (see the header). */
function setCarry(cpu: CPU, bitSet: boolean): void {
  cpu.materializeFlags();
  cpu.flags = bitSet ? cpu.flags | CF : cpu.flags & ~CF;
}


/** Apply `op` to bit `bit` of the register or memory operand, and set CF to the bit as it was. */
function applyBitOp(cpu: CPU, op: number, rm: number, lin: number, size: number, bit: number): void {
  const v = rm >= 0 ? cpu.readReg(rm, size) : cpu.readMem(lin, size);
  if (op !== BitOp.Bt) {
    if (rm >= 0) cpu.writeReg(rm, size, bitOp(op, v, bit));
    else cpu.writeMem(lin, size, bitOp(op, v, bit));
  }
  setCarry(cpu, ((v >>> bit) & 1) !== 0);
}

// ---- BT/BTS/BTR/BTC Ev,Gv: 0F A3, AB, B3, BB ------------------------------------------

function bitTestReg(op: number, size: number): Op {
  const bits = size * 8;
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    // The bit offset is signed: 32-bit operands reach -2^31..2^31-1 bits around the operand.
    const offset = size === 4 ? cpu.r32[reg]! : (cpu.r16[reg << 1]! << 16) >> 16;
    const bit = offset & (bits - 1);
    if (m >= 0xc0) {
      applyBitOp(cpu, op, m & 7, 0, size, bit);
      return;
    }
    // SDM "BT": a memory operand is a bit string; the offset's high bits select the
    // word or dword (arithmetic shift, so negative offsets reach below the address).
    // The displacement joins the effective address before the address-size wrap.
    cpu.extraCycles += CYCLES.memoryOperand;
    let off = (cpu.eaOffset(m) + ((offset >> (size === 4 ? 5 : 4)) * size)) | 0;
    if (cpu.a16) off &= 0xffff;
    if (cpu.segOvr >= 0) cpu.eaSeg = cpu.segOvr;
    applyBitOp(cpu, op, -1, cpu.linear(cpu.eaSeg, off, size), size, bit);
  };
}

def0F(0xa3, bitTestReg(BitOp.Bt, 4), bitTestReg(BitOp.Bt, 2));
def0F(0xab, bitTestReg(BitOp.Bts, 4), bitTestReg(BitOp.Bts, 2));
def0F(0xb3, bitTestReg(BitOp.Btr, 4), bitTestReg(BitOp.Btr, 2));
def0F(0xbb, bitTestReg(BitOp.Btc, 4), bitTestReg(BitOp.Btc, 2));

// ---- group 8: 0F BA /4 BT, /5 BTS, /6 BTR, /7 BTC Ev,Ib ------------------------------

function group8(size: number): Op {
  const bits = size * 8;
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const sub = (m >>> 3) & 7;
    if (sub < 4) cpu.undefinedOpcode(`undefined opcode 0F BA /${sub}`);
    const op = sub - 4;
    if (m >= 0xc0) {
      // An immediate offset never leaves the operand: it is taken modulo the operand size.
      applyBitOp(cpu, op, m & 7, 0, size, cpu.fetch8() & (bits - 1));
      return;
    }
    const lin = cpu.ea(m, size); // the displacement precedes the imm8
    applyBitOp(cpu, op, -1, lin, size, cpu.fetch8() & (bits - 1));
  };
}

def0F(0xba, group8(4), group8(2));

// ---- BSF / BSR Gv,Ev: 0F BC, 0F BD ---------------------------------------------------

function bitScan(reverse: boolean, size: number): Op {
  const mask = MASK[size]!;
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    // F3 0F BC/BD is TZCNT/LZCNT only on CPUs with BMI1/ABM; the lab PC (like QEMU's
    // default CPU) has neither, so the REP prefix is ignored, as gcc's "rep bsf" expects.
    const src = (size === 4 ? cpu.readRM32(m) : cpu.readRM16(m)) & mask;
    if (src !== 0) {
      const index = reverse ? 31 - Math.clz32(src) : 31 - Math.clz32(src & -src);
      if (size === 4) cpu.r32[reg] = index;
      else cpu.r16[reg << 1] = index;
    }
    cpu.setLazy(Lazy.Logic, src, 0, src, size);
  };
}

def0F(0xbc, bitScan(false, 4), bitScan(false, 2));
def0F(0xbd, bitScan(true, 4), bitScan(true, 2));

// ---- BSWAP r32: 0F C8+r ------------------------------------------------------------------

for (let reg = 0; reg < 8; reg++) {
  def0F(0xc8 + reg, (cpu) => {
    const v = cpu.r32[reg]!;
    cpu.r32[reg] = (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  });
}

// ---- SETcc Eb: 0F 90+cc; CMOVcc Gv,Ev: 0F 40+cc --------------------------------------------

for (let cc = 0; cc < 16; cc++) {
  // The reg field of SETcc's ModRM is ignored (SDM: "the reg field is not used").
  def0F(0x90 + cc, (cpu) => {
    const m = cpu.fetch8();
    cpu.writeRM8(m, cpu.condition(cc) ? 1 : 0);
  });

  // SDM "CMOVcc": the source is read (and may fault) whatever the condition; a false
  // condition leaves the destination alone.
  def0F(0x40 + cc,
    (cpu) => {
      const m = cpu.fetch8();
      const v = cpu.readRM32(m);
      if (cpu.condition(cc)) cpu.r32[(m >>> 3) & 7] = v;
    },
    (cpu) => {
      const m = cpu.fetch8();
      const v = cpu.readRM16(m);
      if (cpu.condition(cc)) cpu.r16[((m >>> 3) & 7) << 1] = v;
    });
}

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

// SETcc r/m8.
emit(range(0x90, 16), (c, code, op) => {
  const cond = c.conditionCode(op & 0xf);
  const m = decodeModRM(code, code.u8());
  return c.storeRm(m, 1, `(${cond} ? 1 : 0)`);
}, '0F');

// CMOVcc r32, r/m32: the source is read (and may fault) either way.
emit(range(0x40, 16), (c, code, op) => {
  const cond = c.conditionCode(op & 0xf);
  const m = decodeModRM(code, code.u8());
  // The condition is evaluated before the load, which uses the local y the condition may need.
  return c.straight(`x = ${cond} ? 1 : 0; ${c.loadRm(m, 4, 'a')} if (x === 1) r32[${m.reg}] = a;`);
}, '0F');
