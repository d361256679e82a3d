// Data transfer (SDM Vol. 1, 7.3.1): MOV in its register, memory, immediate and
// moffs forms, MOVZX/MOVSX, LEA, XLAT.

import { Reg, Reg16, type CPU } from '../cpu.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { CYCLES } from '../cycle-model.ts';

export const moveOpcodes = new OpcodeFamily('ops/move.ts');
const { def, def0F, def2 } = moveOpcodes;

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
