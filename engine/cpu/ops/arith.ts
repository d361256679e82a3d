// Binary arithmetic and logic (SDM Vol. 1, 7.3.2 and 7.3.4): ADD OR ADC SBB AND
// SUB XOR CMP in all their encodings, TEST, INC/DEC, NOT/NEG, and the group-3
// dispatch to the multiply and divide instructions: their encodings. What
// each operation computes, and the flags it leaves, is in arith-semantics.ts.

import type { CPU } from '../cpu.ts';
import { MASK } from '../flags.ts';
import { alu, AluOp, incDec, neg, negSource } from './arith-semantics.ts';
import { chargeDivide, chargeMultiply, div, idiv, imulOneOperand, mul, wideProductSource } from './multiply.ts';
import { OpcodeFamily, range } from '../opcode-family.ts';
import { decodeModRM, register } from '../compile/code-reader.ts';

export const arithOpcodes = new OpcodeFamily('ops/arith.ts');
const { def, def2, emit } = arithOpcodes;

// ---- ADD..CMP: opcodes op*8 + 0..5 ------------------------------------------

function ebGb(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const b = cpu.getReg8((m >>> 3) & 7);
    if (m >= 0xc0) {
      const r = alu(cpu, op, cpu.getReg8(m & 7), b, 1);
      if (op !== AluOp.Cmp) cpu.setReg8(m & 7, r);
    } else {
      const lin = cpu.ea(m, 1);
      if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 1);
      const r = alu(cpu, op, cpu.read8(lin), b, 1);
      if (op !== AluOp.Cmp) cpu.write8(lin, r);
    }
  };
}

function evGv32(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const b = cpu.r32[(m >>> 3) & 7]!;
    if (m >= 0xc0) {
      const r = alu(cpu, op, cpu.r32[m & 7]!, b, 4);
      if (op !== AluOp.Cmp) cpu.r32[m & 7] = r;
    } else {
      const lin = cpu.ea(m, 4);
      if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 4);
      const r = alu(cpu, op, cpu.read32(lin), b, 4);
      if (op !== AluOp.Cmp) cpu.write32(lin, r);
    }
  };
}

function evGv16(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const b = cpu.r16[((m >>> 3) & 7) << 1]!;
    if (m >= 0xc0) {
      const r = alu(cpu, op, cpu.r16[(m & 7) << 1]!, b, 2);
      if (op !== AluOp.Cmp) cpu.r16[(m & 7) << 1] = r;
    } else {
      const lin = cpu.ea(m, 2);
      if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 2);
      const r = alu(cpu, op, cpu.read16(lin), b, 2);
      if (op !== AluOp.Cmp) cpu.write16(lin, r);
    }
  };
}

function gbEb(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    const r = alu(cpu, op, cpu.getReg8(reg), cpu.readRM8(m), 1);
    if (op !== AluOp.Cmp) cpu.setReg8(reg, r);
  };
}

function gvEv32(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    const r = alu(cpu, op, cpu.r32[reg]!, cpu.readRM32(m), 4);
    if (op !== AluOp.Cmp) cpu.r32[reg] = r;
  };
}

function gvEv16(op: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = ((m >>> 3) & 7) << 1;
    const r = alu(cpu, op, cpu.r16[reg]!, cpu.readRM16(m), 2);
    if (op !== AluOp.Cmp) cpu.r16[reg] = r;
  };
}

for (let op = 0; op < 8; op++) {
  const base = op << 3;
  def(base + 0, ebGb(op));
  def2(base + 1, evGv32(op), evGv16(op));
  def(base + 2, gbEb(op));
  def2(base + 3, gvEv32(op), gvEv16(op));
  def(base + 4, (cpu) => {
    const r = alu(cpu, op, cpu.r8[0], cpu.fetch8(), 1);
    if (op !== AluOp.Cmp) cpu.r8[0] = r;
  });
  def2(base + 5,
    (cpu) => {
      const r = alu(cpu, op, cpu.r32[0], cpu.fetch32(), 4);
      if (op !== AluOp.Cmp) cpu.r32[0] = r;
    },
    (cpu) => {
      const r = alu(cpu, op, cpu.r16[0], cpu.fetch16(), 2);
      if (op !== AluOp.Cmp) cpu.r16[0] = r;
    });
}

// ---- group 1: 80 Eb,Ib  81 Ev,Iz  83 Ev,Ib (sign-extended) -------------------
// (82 is an alias of 80 outside 64-bit mode.)

function group1Eb(cpu: CPU): void {
  const m = cpu.fetch8();
  const op = (m >>> 3) & 7;
  if (m >= 0xc0) {
    const r = alu(cpu, op, cpu.getReg8(m & 7), cpu.fetch8(), 1);
    if (op !== AluOp.Cmp) cpu.setReg8(m & 7, r);
  } else {
    const lin = cpu.ea(m, 1);
    const imm = cpu.fetch8();
    if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 1);
    const r = alu(cpu, op, cpu.read8(lin), imm, 1);
    if (op !== AluOp.Cmp) cpu.write8(lin, r);
  }
}
def(0x80, group1Eb);
def(0x82, group1Eb);

function group1Ev32(signExtendedByte: boolean) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const op = (m >>> 3) & 7;
    if (m >= 0xc0) {
      const b = signExtendedByte ? cpu.fetchS8() : cpu.fetch32();
      const r = alu(cpu, op, cpu.r32[m & 7]!, b, 4);
      if (op !== AluOp.Cmp) cpu.r32[m & 7] = r;
    } else {
      const lin = cpu.ea(m, 4);
      const b = signExtendedByte ? cpu.fetchS8() : cpu.fetch32();
      if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 4);
      const r = alu(cpu, op, cpu.read32(lin), b, 4);
      if (op !== AluOp.Cmp) cpu.write32(lin, r);
    }
  };
}

function group1Ev16(signExtendedByte: boolean) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const op = (m >>> 3) & 7;
    if (m >= 0xc0) {
      const b = (signExtendedByte ? cpu.fetchS8() : cpu.fetch16()) & 0xffff;
      const r = alu(cpu, op, cpu.r16[(m & 7) << 1]!, b, 2);
      if (op !== AluOp.Cmp) cpu.r16[(m & 7) << 1] = r;
    } else {
      const lin = cpu.ea(m, 2);
      const b = (signExtendedByte ? cpu.fetchS8() : cpu.fetch16()) & 0xffff;
      if (op !== AluOp.Cmp) cpu.prepareWrite(lin, 2);
      const r = alu(cpu, op, cpu.read16(lin), b, 2);
      if (op !== AluOp.Cmp) cpu.write16(lin, r);
    }
  };
}
def2(0x81, group1Ev32(false), group1Ev16(false));
def2(0x83, group1Ev32(true), group1Ev16(true));

// ---- TEST ---------------------------------------------------------------------

def(0x84, (cpu) => {
  const m = cpu.fetch8();
  alu(cpu, AluOp.And, cpu.readRM8(m), cpu.getReg8((m >>> 3) & 7), 1);
});
def2(0x85,
  (cpu) => {
    const m = cpu.fetch8();
    alu(cpu, AluOp.And, cpu.readRM32(m), cpu.r32[(m >>> 3) & 7]!, 4);
  },
  (cpu) => {
    const m = cpu.fetch8();
    alu(cpu, AluOp.And, cpu.readRM16(m), cpu.r16[((m >>> 3) & 7) << 1]!, 2);
  });
def(0xa8, (cpu) => { alu(cpu, AluOp.And, cpu.r8[0], cpu.fetch8(), 1); });
def2(0xa9,
  (cpu) => { alu(cpu, AluOp.And, cpu.r32[0], cpu.fetch32(), 4); },
  (cpu) => { alu(cpu, AluOp.And, cpu.r16[0], cpu.fetch16(), 2); });

// ---- INC/DEC r32/r16: 40+r, 48+r ----------------------------------------------

for (let reg = 0; reg < 8; reg++) {
  for (const dec of [false, true]) {
    def2((dec ? 0x48 : 0x40) + reg,
      (cpu) => { cpu.r32[reg] = incDec(cpu, cpu.r32[reg]!, dec, 4); },
      (cpu) => { cpu.r16[reg << 1] = incDec(cpu, cpu.r16[reg << 1]!, dec, 2); });
  }
}

// ---- group 3: F6 Eb, F7 Ev: TEST NOT NEG MUL IMUL DIV IDIV ------------------------

/** Read-modify-write of a ModRM operand of `size` bytes; `f` maps the old value to the new one. */
export function modifyRM(cpu: CPU, m: number, size: number, f: (cpu: CPU, v: number) => number): void {
  if (m >= 0xc0) {
    cpu.writeReg(m & 7, size, f(cpu, cpu.readReg(m & 7, size)));
    return;
  }
  const lin = cpu.ea(m, size);
  cpu.prepareWrite(lin, size);
  cpu.writeMem(lin, size, f(cpu, cpu.readMem(lin, size)));
}

/** Read a ModRM operand of `size` bytes. */
export function readRM(cpu: CPU, m: number, size: number): number {
  return size === 1 ? cpu.readRM8(m) : size === 2 ? cpu.readRM16(m) : cpu.readRM32(m);
}

function group3(size: number) {
  const mask = MASK[size]!;
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    switch ((m >>> 3) & 7) {
      case 0: case 1: { // TEST Ev, imm (/1 is an undocumented alias)
        const a = readRM(cpu, m, size);
        const imm = size === 1 ? cpu.fetch8() : size === 2 ? cpu.fetch16() : cpu.fetch32();
        alu(cpu, AluOp.And, a, imm, size);
        return;
      }
      case 2: modifyRM(cpu, m, size, (_, v) => ~v & mask); return; // NOT: no flags
      case 3: modifyRM(cpu, m, size, (c, v) => neg(c, v, size)); return;
      case 4: chargeMultiply(cpu); mul(cpu, size, readRM(cpu, m, size)); return;
      case 5: chargeMultiply(cpu); imulOneOperand(cpu, size, readRM(cpu, m, size)); return;
      case 6: chargeDivide(cpu); div(cpu, size, readRM(cpu, m, size)); return;
      default: chargeDivide(cpu); idiv(cpu, size, readRM(cpu, m, size)); return;
    }
  };
}
def(0xf6, group3(1));
def2(0xf7, group3(4), group3(2));

// ---- group 4: FE /0 INC Eb, /1 DEC Eb -------------------------------------------

def(0xfe, (cpu) => {
  const m = cpu.fetch8();
  const op = (m >>> 3) & 7;
  if (op > 1) cpu.undefinedOpcode(`undefined opcode FE /${op}`);
  modifyRM(cpu, m, 1, (c, v) => incDec(c, v, op === 1, 1));
});

// ---- compiled forms (see opcode-family.ts) ----------------------------------------
// The 32-bit and byte forms gcc emits; the 16-bit ones are the interpreter's.

// ADD..CMP r/m, reg and reg, r/m (op*8 + 0..3).
emit(range(0, 0x40).filter((op) => (op & 7) < 4), (c, code, op) => {
  const size = op & 1 ? 4 : 1;
  const body = c.aluCode(op >>> 3, size);
  const m = decodeModRM(code, code.u8());
  const regRead = c.reg(m.reg, size);
  const writes = op >>> 3 !== AluOp.Cmp;
  if ((op & 7) < 2) return c.aluIntoRm(m, size, regRead, body, writes); // r/m is the destination
  return c.straight(`${c.loadRm(m, size, 'y')} x = ${regRead}; ${body}${writes ? ` ${regRead} = r;` : ''}`);
});

// ADD..CMP AL, imm8 and EAX, imm32 (op*8 + 4, 5).
emit(range(0, 0x40).filter((op) => (op & 7) === 4 || (op & 7) === 5), (c, code, op) => {
  const size = op & 1 ? 4 : 1;
  const body = c.aluCode(op >>> 3, size);
  const imm = size === 4 ? code.i32() : code.u8();
  const acc = size === 4 ? 'r32[0]' : 'r8[0]';
  return c.straight(`x = ${acc}; y = ${imm}; ${body}${op >>> 3 !== AluOp.Cmp ? ` ${acc} = r;` : ''}`);
});

// INC/DEC r32.
emit(range(0x40, 16), (c, _code, op) => c.incDecCode(register(op & 7), 4, op >= 0x48));

// Group 1: 80 Eb,Ib  81 Ev,Iz  83 Ev,Ib.
emit([0x80, 0x81, 0x83], (c, code, op) => {
  const size = op === 0x80 ? 1 : 4;
  const m = decodeModRM(code, code.u8());
  const body = c.aluCode(m.reg, size);
  const imm = op === 0x81 ? code.i32() : op === 0x83 ? code.s8() : code.u8();
  return c.aluIntoRm(m, size, String(imm), body, m.reg !== AluOp.Cmp);
});

// TEST r/m, reg (84, 85) and AL/EAX, imm (A8, A9).
emit([0x84, 0x85], (c, code, op) => {
  const size = op === 0x85 ? 4 : 1;
  const m = decodeModRM(code, code.u8());
  return c.straight(`${c.loadRm(m, size, 'x')} y = ${c.reg(m.reg, size)}; ${c.aluCode(AluOp.And, size)}`);
});
emit(0xa8, (c, code) => c.straight(`x = r8[0]; y = ${code.u8()}; ${c.aluCode(AluOp.And, 1)}`));
emit(0xa9, (c, code) => c.straight(`x = r32[0]; y = ${code.i32()}; ${c.aluCode(AluOp.And, 4)}`));

// Group 3 on r/m8: TEST imm8 only.
emit(0xf6, (c, code) => {
  const m = decodeModRM(code, code.u8());
  if (m.reg !== 0) return null;
  return c.straight(`${c.loadRm(m, 1, 'x')} y = ${code.u8()}; ${c.aluCode(AluOp.And, 1)}`);
});

// Group 3 on r/m32: TEST imm, NOT, NEG (of a register), MUL, IMUL, DIV, IDIV.
emit(0xf7, (c, code) => {
  const m = decodeModRM(code, code.u8());
  const load = c.loadRm(m, 4, 'y');
  const mem = m.rmReg < 0;
  switch (m.reg) {
    case 0: case 1: return c.straight(`${load} x = y; y = ${code.i32()}; ${c.aluCode(AluOp.And, 4)}`);
    case 2: return mem ? null : c.straight(`r32[${m.rmReg}] = ~r32[${m.rmReg}];`);
    case 3: return mem ? null : c.straight(`x = r32[${m.rmReg}]; ${negSource(4)} r32[${m.rmReg}] = r;`);
    case 4: return c.multiply(c.straight(`${load} ${wideProductSource(false)}`));
    case 5: return c.multiply(c.straight(`${load} ${wideProductSource(true)}`));
    case 6: return c.divide(c.straight(`${load} h.div32(cpu, y);`)); // #DE
    default: return c.divide(c.straight(`${load} h.idiv32(cpu, y);`));
  }
});

// Group 4: INC/DEC r/m8.
emit(0xfe, (c, code) => {
  const m = decodeModRM(code, code.u8());
  return m.reg <= 1 ? c.incDecCode(m, 1, m.reg === 1) : null;
});
