// Control transfer (SDM Vol. 1, 7.3.8): JMP, Jcc, CALL, RET, LOOP, JCXZ, and
// group 5 (FF): INC/DEC Ev, indirect CALL/JMP near and far, PUSH Ev.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16 } from '../cpu.ts';
import { incDec } from './arith-semantics.ts';
import { farCall, farJump, farReturn } from './segment.ts';
import { OpcodeFamily, range } from '../opcode-family.ts';
import { decodeModRM } from '../compile/code-reader.ts';
import type { Compiled, InstructionCompiler } from '../compile/instruction-compiler.ts';

export const controlOpcodes = new OpcodeFamily('ops/control.ts');
const { def, def0F, def2, emit } = controlOpcodes;

// JMP rel8 / rel32 / rel16
def(0xeb, (cpu) => {
  const d = cpu.fetchS8();
  cpu.jumpNear(cpu.eip + d);
});
def2(0xe9,
  (cpu) => {
    const d = cpu.fetch32();
    cpu.jumpNear(cpu.eip + d);
  },
  (cpu) => {
    const d = cpu.fetch16();
    cpu.jumpNear(cpu.eip + d);
  });

// Jcc rel8 (70+cc) and rel32/rel16 (0F 80+cc)
for (let cc = 0; cc < 16; cc++) {
  def(0x70 + cc, (cpu) => {
    const d = cpu.fetchS8();
    if (cpu.condition(cc)) cpu.jumpNear(cpu.eip + d);
  });
  def0F(0x80 + cc,
    (cpu) => {
      const d = cpu.fetch32();
      if (cpu.condition(cc)) cpu.jumpNear(cpu.eip + d);
    },
    (cpu) => {
      const d = cpu.fetch16();
      if (cpu.condition(cc)) cpu.jumpNear(cpu.eip + d);
    });
}

// CALL rel32 / rel16: push the return address, then jump.
def2(0xe8,
  (cpu) => {
    const d = cpu.fetch32();
    cpu.push32(cpu.eip);
    cpu.jumpNear(cpu.eip + d);
  },
  (cpu) => {
    const d = cpu.fetch16();
    cpu.push16(cpu.eip & 0xffff);
    cpu.jumpNear(cpu.eip + d);
  });

// RET / RET imm16: the stack pointer moves only once the return address was read.
function retNear(cpu: CPU, release: number): void {
  const target = cpu.popOp();
  if (release !== 0) cpu.setSP(cpu.stack32 ? (cpu.r32[Reg.ESP] + release) | 0 : (cpu.r16[Reg16.SP] + release) & 0xffff);
  cpu.jumpNear(target);
}
def(0xc3, (cpu) => retNear(cpu, 0));
def(0xc2, (cpu) => retNear(cpu, cpu.fetch16()));

// Far RET (CB, CA imm16): segment.ts does the privilege checks.
def(0xcb, (cpu) => farReturn(cpu, 0));
def(0xca, (cpu) => farReturn(cpu, cpu.fetch16()));

// Far JMP/CALL ptr16:32 (EA, 9A): offset first, then selector.
def(0xea, (cpu) => {
  const off = cpu.fetchImm();
  farJump(cpu, cpu.fetch16(), off);
});
def(0x9a, (cpu) => {
  const off = cpu.fetchImm();
  farCall(cpu, cpu.fetch16(), off);
});

// LOOP/LOOPE/LOOPNE/JECXZ: the counter is ECX, or CX with the address-size prefix.
function decrementCounter(cpu: CPU): boolean {
  if (cpu.a16) return (cpu.r16[Reg16.CX] = cpu.r16[Reg16.CX] - 1) !== 0;
  return (cpu.r32[Reg.ECX] = cpu.r32[Reg.ECX] - 1) !== 0;
}
def(0xe2, (cpu) => {
  const d = cpu.fetchS8();
  if (decrementCounter(cpu)) cpu.jumpNear(cpu.eip + d);
});
def(0xe1, (cpu) => {
  const d = cpu.fetchS8();
  if (decrementCounter(cpu) && cpu.getZF()) cpu.jumpNear(cpu.eip + d);
});
def(0xe0, (cpu) => {
  const d = cpu.fetchS8();
  if (decrementCounter(cpu) && !cpu.getZF()) cpu.jumpNear(cpu.eip + d);
});
def(0xe3, (cpu) => {
  const d = cpu.fetchS8();
  const counter = cpu.a16 ? cpu.r16[Reg16.CX] : cpu.r32[Reg.ECX];
  if (counter === 0) cpu.jumpNear(cpu.eip + d);
});

// Group 5: FF /0 INC, /1 DEC, /2 CALL near, /3 CALL far m16:v, /4 JMP near, /5 JMP far m16:v, /6 PUSH.
function group5(size: 2 | 4) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const op = (m >>> 3) & 7;
    switch (op) {
      case 0: case 1:
        if (m >= 0xc0) {
          const r = m & 7;
          if (size === 4) cpu.r32[r] = incDec(cpu, cpu.r32[r]!, op === 1, 4);
          else cpu.r16[r << 1] = incDec(cpu, cpu.r16[r << 1]!, op === 1, 2);
        } else {
          const lin = cpu.ea(m, size);
          cpu.prepareWrite(lin, size);
          if (size === 4) cpu.write32(lin, incDec(cpu, cpu.read32(lin), op === 1, 4));
          else cpu.write16(lin, incDec(cpu, cpu.read16(lin), op === 1, 2));
        }
        return;
      case 2: {
        const target = size === 4 ? cpu.readRM32(m) : cpu.readRM16(m);
        cpu.pushOp(cpu.eip);
        cpu.jumpNear(target);
        return;
      }
      case 4:
        cpu.jumpNear(size === 4 ? cpu.readRM32(m) : cpu.readRM16(m));
        return;
      case 3: case 5: {
        if (m >= 0xc0) cpu.undefinedOpcode(`far ${op === 3 ? 'CALL' : 'JMP'} with a register operand`);
        const lin = cpu.ea(m, size + 2);
        const off = size === 4 ? cpu.read32(lin) : cpu.read16(lin);
        const sel = cpu.read16((lin + size) | 0);
        if (op === 3) farCall(cpu, sel, off);
        else farJump(cpu, sel, off);
        return;
      }
      case 6:
        if (size === 4) cpu.push32(cpu.readRM32(m));
        else cpu.push16(cpu.readRM16(m));
        return;
      default:
        cpu.undefinedOpcode('undefined opcode FF /7');
    }
  };
}
def2(0xff, group5(4), group5(2));

// ---- compiled forms (see opcode-family.ts) ----------------------------------------
// Each ends its block and sets cpu.eip to where execution continues.

// Jcc rel8 and rel32.
emit(range(0x70, 16), (c, code, op) => {
  const d = code.s8();
  const n = c.nextEip(code);
  return c.conditionalJump(op & 0xf, (n + d) | 0, n);
});
emit(range(0x80, 16), (c, code, op) => {
  const d = code.i32();
  const n = c.nextEip(code);
  return c.conditionalJump(op & 0xf, (n + d) | 0, n);
}, '0F');

// JMP rel8, rel32; CALL rel32; RET; RET imm16.
const jump = (c: InstructionCompiler, t: number): Compiled =>
  c.branch({ code: `cpu.eip = ${t};`, ends: true, targets: [t], goesOn: { at: t, code: '' } });
emit(0xeb, (c, code) => { const d = code.s8(); return jump(c, (c.nextEip(code) + d) | 0); });
emit(0xe9, (c, code) => { const d = code.i32(); return jump(c, (c.nextEip(code) + d) | 0); });
emit(0xe8, (c, code) => {
  const d = code.i32();
  const n = c.nextEip(code);
  const t = (n + d) | 0;
  return c.branch({ code: `cpu.push32(${n}); cpu.eip = ${t};`, ends: true, goesOn: { at: t, code: `cpu.push32(${n});`, pushed: n } });
});
emit(0xc3, (c) => c.branch({
  code: 'cpu.eip = cpu.pop32();',
  ends: true,
  // In b, not x: the flags' operands stay in x, y and r for a Jcc after the return.
  returnsTo: (expected, leave) => `b = cpu.pop32(); if (b !== ${expected}) ${leave('b', 0)}`,
}));
emit(0xc2, (c, code) => {
  const n = code.u16();
  return c.branch({ code: `x = cpu.pop32(); cpu.setSP(cpu.stack32 ? (r32[4] + ${n}) | 0 : (r16[8] + ${n}) & 0xffff); cpu.eip = x;`, ends: true });
});

// Group 5: INC/DEC, CALL, JMP and PUSH r/m32 (the far forms are the interpreter's).
emit(0xff, (c, code) => {
  const m = decodeModRM(code, code.u8());
  // Before `load`: c.address() counts the operand's cycles each time it is called.
  if (m.reg <= 1) return c.incDecCode(m, 4, m.reg === 1);
  const load = c.loadRm(m, 4, 'x');
  switch (m.reg) {
    case 2: return c.branch({ code: `${load} cpu.push32(${c.nextEip(code)}); cpu.eip = x;`, ends: true });
    case 4: return c.branch({ code: `${load} cpu.eip = x;`, ends: true });
    case 6: return c.straight(`${load} cpu.push32(x);`);
    default: return null;
  }
});
