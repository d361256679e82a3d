// Data transfer (SDM Vol. 1, 7.3.1): MOV in its register, memory, immediate and
// moffs forms, MOVZX/MOVSX, LEA, XLAT.

import { Reg, Reg16, type CPU } from '../cpu.ts';
import { OpcodeFamily, range } from '../opcode-family.ts';
import { absolute, decodeModRM, offsetSource, type CodeReader } from '../compile/code-reader.ts';
import type { InstructionCompiler } from '../compile/instruction-compiler.ts';
import { CYCLES } from '../cycle-model.ts';

export const moveOpcodes = new OpcodeFamily('ops/move.ts');
const { def, def0F, def2, emit } = moveOpcodes;

// 88 Eb,Gb  89 Ev,Gv  8A Gb,Eb  8B Gv,Ev
def(0x88, (cpu) => {
  const m = cpu.fetch8();
  cpu.writeRM8(m, cpu.getReg8((m >>> 3) & 7));
});
def2(0x89,
  (cpu) => {
    const m = cpu.fetch8();
    cpu.writeRM32(m, cpu.r32[(m >>> 3) & 7]!);
  },
  (cpu) => {
    const m = cpu.fetch8();
    cpu.writeRM16(m, cpu.r16[((m >>> 3) & 7) << 1]!);
  });
def(0x8a, (cpu) => {
  const m = cpu.fetch8();
  cpu.setReg8((m >>> 3) & 7, cpu.readRM8(m));
});
def2(0x8b,
  (cpu) => {
    const m = cpu.fetch8();
    cpu.r32[(m >>> 3) & 7] = cpu.readRM32(m);
  },
  (cpu) => {
    const m = cpu.fetch8();
    cpu.r16[((m >>> 3) & 7) << 1] = cpu.readRM16(m);
  });

// LEA Gv,M: the offset only, no segment and no memory access.
def2(0x8d,
  (cpu) => {
    const m = cpu.fetch8();
    if (m >= 0xc0) cpu.undefinedOpcode('LEA with a register operand');
    cpu.r32[(m >>> 3) & 7] = cpu.eaOffset(m);
  },
  (cpu) => {
    const m = cpu.fetch8();
    if (m >= 0xc0) cpu.undefinedOpcode('LEA with a register operand');
    cpu.r16[((m >>> 3) & 7) << 1] = cpu.eaOffset(m);
  });

// A0-A3: MOV between the accumulator and a direct offset (moffs) in DS or the override.
function moffs(cpu: CPU, size: number): number {
  cpu.extraCycles += CYCLES.memoryOperand;
  const off = cpu.a16 ? cpu.fetch16() : cpu.fetch32();
  return cpu.linear(cpu.dataSeg(), off, size);
}
def(0xa0, (cpu) => { cpu.r8[0] = cpu.read8(moffs(cpu, 1)); });
def2(0xa1,
  (cpu) => { cpu.r32[0] = cpu.read32(moffs(cpu, 4)); },
  (cpu) => { cpu.r16[0] = cpu.read16(moffs(cpu, 2)); });
def(0xa2, (cpu) => { cpu.write8(moffs(cpu, 1), cpu.r8[0]); });
def2(0xa3,
  (cpu) => { cpu.write32(moffs(cpu, 4), cpu.r32[0]); },
  (cpu) => { cpu.write16(moffs(cpu, 2), cpu.r16[0]); });

// B0+r MOV r8,imm8; B8+r MOV r32/r16,imm
for (let r = 0; r < 8; r++) {
  def(0xb0 + r, (cpu) => { cpu.setReg8(r, cpu.fetch8()); });
  def2(0xb8 + r,
    (cpu) => { cpu.r32[r] = cpu.fetch32(); },
    (cpu) => { cpu.r16[r << 1] = cpu.fetch16(); });
}

// C6 /0 MOV Eb,Ib; C7 /0 MOV Ev,Iz. The immediate follows the displacement, so decode the address first.
def(0xc6, (cpu) => {
  const m = cpu.fetch8();
  if ((m & 0x38) !== 0) cpu.undefinedOpcode(`undefined opcode C6 /${(m >>> 3) & 7}`);
  if (m >= 0xc0) cpu.setReg8(m & 7, cpu.fetch8());
  else {
    const lin = cpu.ea(m, 1);
    cpu.write8(lin, cpu.fetch8());
  }
});
def2(0xc7,
  (cpu) => {
    const m = cpu.fetch8();
    if ((m & 0x38) !== 0) cpu.undefinedOpcode(`undefined opcode C7 /${(m >>> 3) & 7}`);
    if (m >= 0xc0) cpu.r32[m & 7] = cpu.fetch32();
    else {
      const lin = cpu.ea(m, 4);
      cpu.write32(lin, cpu.fetch32());
    }
  },
  (cpu) => {
    const m = cpu.fetch8();
    if ((m & 0x38) !== 0) cpu.undefinedOpcode(`undefined opcode C7 /${(m >>> 3) & 7}`);
    if (m >= 0xc0) cpu.r16[(m & 7) << 1] = cpu.fetch16();
    else {
      const lin = cpu.ea(m, 2);
      cpu.write16(lin, cpu.fetch16());
    }
  });

// MOVZX 0F B6 Gv,Eb / 0F B7 Gv,Ew; MOVSX 0F BE / 0F BF.
def0F(0xb6,
  (cpu) => { const m = cpu.fetch8(); cpu.r32[(m >>> 3) & 7] = cpu.readRM8(m); },
  (cpu) => { const m = cpu.fetch8(); cpu.r16[((m >>> 3) & 7) << 1] = cpu.readRM8(m); });
def0F(0xb7,
  (cpu) => { const m = cpu.fetch8(); cpu.r32[(m >>> 3) & 7] = cpu.readRM16(m); },
  (cpu) => { const m = cpu.fetch8(); cpu.r16[((m >>> 3) & 7) << 1] = cpu.readRM16(m); });
def0F(0xbe,
  (cpu) => { const m = cpu.fetch8(); cpu.r32[(m >>> 3) & 7] = (cpu.readRM8(m) << 24) >> 24; },
  (cpu) => { const m = cpu.fetch8(); cpu.r16[((m >>> 3) & 7) << 1] = (cpu.readRM8(m) << 24) >> 24; });
def0F(0xbf,
  (cpu) => { const m = cpu.fetch8(); cpu.r32[(m >>> 3) & 7] = (cpu.readRM16(m) << 16) >> 16; },
  (cpu) => { const m = cpu.fetch8(); cpu.r16[((m >>> 3) & 7) << 1] = cpu.readRM16(m); });

// XLAT: AL = [DS:EBX + AL]
def(0xd7, (cpu) => {
  const off = cpu.a16 ? (cpu.r16[Reg16.BX] + cpu.r8[0]) & 0xffff : (cpu.r32[Reg.EBX] + cpu.r8[0]) | 0;
  cpu.r8[0] = cpu.read8(cpu.linear(cpu.dataSeg(), off));
});

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

// MOV r/m, reg; MOV reg, r/m; MOV r/m, imm (C6 /0, C7 /0): the byte and dword
// forms, and the word forms (66 89, 66 8B, 66 C7 /0) gcc uses for struct fields.

function movToRm(c: InstructionCompiler, code: CodeReader, size: number) {
  const m = decodeModRM(code, code.u8());
  return c.storeRm(m, size, c.reg(m.reg, size));
}

function movFromRm(c: InstructionCompiler, code: CodeReader, size: number) {
  const m = decodeModRM(code, code.u8());
  return c.straight(c.loadRm(m, size, c.reg(m.reg, size)));
}

function movImmToRm(c: InstructionCompiler, code: CodeReader, size: number) {
  const m = decodeModRM(code, code.u8());
  if (m.reg !== 0) return null;
  return c.storeRm(m, size, String(size === 4 ? code.i32() : size === 2 ? code.u16() : code.u8()));
}

emit([0x88, 0x89], (c, code, op) => movToRm(c, code, op === 0x89 ? 4 : 1));
emit([0x8a, 0x8b], (c, code, op) => movFromRm(c, code, op === 0x8b ? 4 : 1));
emit([0xc6, 0xc7], (c, code, op) => movImmToRm(c, code, op === 0xc7 ? 4 : 1));
emit(0x89, (c, code) => movToRm(c, code, 2), '66');
emit(0x8b, (c, code) => movFromRm(c, code, 2), '66');
emit(0xc7, (c, code) => movImmToRm(c, code, 2), '66');

// LEA (a register operand is #UD: the interpreter's).
emit(0x8d, (c, code) => {
  const m = decodeModRM(code, code.u8());
  if (m.rmReg >= 0) return null;
  return c.straight(`r32[${m.reg}] = ${offsetSource(m)};`);
});

// MOV EAX, moffs32 and moffs32, EAX.
emit(0xa1, (c, code) => { const off = code.i32(); return c.straight(`${c.address(absolute(off), 4)} r32[0] = cpu.read32(a);`); });
emit(0xa3, (c, code) => { const off = code.i32(); return c.storeRm(absolute(off), 4, 'r32[0]'); });

// MOV r8, imm8 and r32, imm32.
emit(range(0xb0, 8), (c, code, op) => c.straight(`${c.reg8(op & 7)} = ${code.u8()};`));
emit(range(0xb8, 8), (c, code, op) => c.straight(`r32[${op & 7}] = ${code.i32()};`));

// MOVZX/MOVSX r32, r/m8 or r/m16.
emit([0xb6, 0xb7, 0xbe, 0xbf], (c, code, op) => {
  const m = decodeModRM(code, code.u8());
  const byte = op === 0xb6 || op === 0xbe;
  const signed = op >= 0xbe;
  const load = c.loadRm(m, byte ? 1 : 2, 'y');
  const ext = signed ? (byte ? '(y << 24) >> 24' : '(y << 16) >> 16') : 'y';
  return c.straight(`${load} r32[${m.reg}] = ${ext};`);
}, '0F');
