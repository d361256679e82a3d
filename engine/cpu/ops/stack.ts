// Stack instructions (SDM Vol. 1, 6.2 and 7.3.1.5): PUSH/POP of registers,
// immediates and memory, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16 } from '../cpu.ts';
import { IF, IOPL, RF, TF, VM, WRITABLE } from '../flags.ts';
import { OpcodeFamily, range } from '../opcode-family.ts';

export const stackOpcodes = new OpcodeFamily('ops/stack.ts');
const { def2, emit } = stackOpcodes;

for (let r = 0; r < 8; r++) {
  // PUSH ESP pushes the value ESP had before the instruction (the argument is read first).
  def2(0x50 + r, (cpu) => cpu.push32(cpu.r32[r]!), (cpu) => cpu.push16(cpu.r16[r << 1]!));
  // POP ESP: the popped value wins over the increment.
  def2(0x58 + r,
    (cpu) => { cpu.r32[r] = cpu.pop32(); },
    (cpu) => { cpu.r16[r << 1] = cpu.pop16(); });
}

def2(0x68, (cpu) => cpu.push32(cpu.fetch32()), (cpu) => cpu.push16(cpu.fetch16()));
def2(0x6a, (cpu) => cpu.push32(cpu.fetchS8()), (cpu) => cpu.push16(cpu.fetchS8() & 0xffff));

/** Undo a partial stack instruction when a later access faults, so the instruction can restart. */
function withStackRollback(cpu: CPU, body: () => void): void {
  const esp = cpu.r32[Reg.ESP];
  const ebp = cpu.r32[Reg.EBP];
  try {
    body();
  } catch (e) {
    cpu.r32[Reg.ESP] = esp;
    cpu.r32[Reg.EBP] = ebp;
    throw e;
  }
}

// 8F /0 POP Ev. SDM: an ESP-based destination address is computed after ESP is incremented.
def2(0x8f,
  (cpu) => {
    const m = cpu.fetch8();
    if ((m & 0x38) !== 0) cpu.undefinedOpcode(`undefined opcode 8F /${(m >>> 3) & 7}`);
    withStackRollback(cpu, () => cpu.writeRM32(m, cpu.pop32()));
  },
  (cpu) => {
    const m = cpu.fetch8();
    if ((m & 0x38) !== 0) cpu.undefinedOpcode(`undefined opcode 8F /${(m >>> 3) & 7}`);
    withStackRollback(cpu, () => cpu.writeRM16(m, cpu.pop16()));
  });

// PUSHA/PUSHAD: the ESP pushed is its value before the first push.
def2(0x60,
  (cpu) => withStackRollback(cpu, () => {
    const sp = cpu.r32[Reg.ESP];
    for (let r = 0; r < 8; r++) cpu.push32(r === Reg.ESP ? sp : cpu.r32[r]!);
  }),
  (cpu) => withStackRollback(cpu, () => {
    const sp = cpu.r16[Reg16.SP];
    for (let r = 0; r < 8; r++) cpu.push16(r === Reg.ESP ? sp : cpu.r16[r << 1]!);
  }));

// POPA/POPAD: the saved ESP image is skipped.
def2(0x61,
  (cpu) => withStackRollback(cpu, () => {
    const values = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let r = 7; r >= 0; r--) values[r] = cpu.pop32();
    for (let r = 0; r < 8; r++) if (r !== Reg.ESP) cpu.r32[r] = values[r]!;
  }),
  (cpu) => withStackRollback(cpu, () => {
    const values = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let r = 7; r >= 0; r--) values[r] = cpu.pop16();
    for (let r = 0; r < 8; r++) if (r !== Reg.ESP) cpu.r16[r << 1] = values[r]!;
  }));

// PUSHF/PUSHFD: the image on the stack has VM and RF clear (SDM: PUSHF).
def2(0x9c,
  (cpu) => cpu.push32(cpu.getFlags() & ~(VM | RF)),
  (cpu) => cpu.push16(cpu.getFlags() & 0xffff));

/**
 * Load EFLAGS from a POPF image under the protected-mode rules (SDM: POPF):
 * IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM and RF are never
 * loaded (RF is cleared); a 16-bit POPF changes only the low 16 bits.
 */
export function popFlags(cpu: CPU, image: number, size: 2 | 4): void {
  let mask = WRITABLE & ~(RF | VM);
  if (cpu.cpl > 0) mask &= ~IOPL;
  if (cpu.cpl > ((cpu.flags & IOPL) >>> 12)) mask &= ~IF;
  if (size === 2) mask &= 0xffff;
  const old = cpu.getFlags();
  cpu.setArithFlags(0);
  cpu.flags = (old & ~mask & ~RF) | (image & mask);
  // A newly set IF may let a pending interrupt in after this instruction; a newly set TF needs the debugged loop.
  if ((cpu.flags & ~old & (IF | TF)) !== 0) cpu.stopRequested = true;
}

def2(0x9d,
  (cpu) => popFlags(cpu, cpu.pop32(), 4),
  (cpu) => popFlags(cpu, cpu.pop16(), 2));

// ENTER imm16, imm8 (SDM: ENTER): build a stack frame with `level` nested frame pointers.
function enter(cpu: CPU, size: 2 | 4): void {
  const alloc = cpu.fetch16();
  const level = cpu.fetch8() & 31;
  withStackRollback(cpu, () => {
    const push = size === 4 ? (v: number) => cpu.push32(v) : (v: number) => cpu.push16(v);
    push(size === 4 ? cpu.r32[Reg.EBP] : cpu.r16[Reg16.BP]);
    const frame = cpu.getSP();
    if (level > 0) {
      let bp = cpu.stack32 ? cpu.r32[Reg.EBP] : cpu.r16[Reg16.BP];
      for (let i = 1; i < level; i++) {
        bp = cpu.stack32 ? (bp - size) | 0 : (bp - size) & 0xffff;
        const lin = cpu.linear(2, bp);
        push(size === 4 ? cpu.read32(lin) : cpu.read16(lin));
      }
      push(frame);
    }
    if (size === 4) cpu.r32[Reg.EBP] = frame;
    else cpu.r16[Reg16.BP] = frame;
    // The final ESP is written even at level 0 so that a fault on it is a stack fault on the new frame.
    cpu.setSP(cpu.stack32 ? (cpu.getSP() - alloc) | 0 : (cpu.getSP() - alloc) & 0xffff);
  });
}
def2(0xc8, (cpu) => enter(cpu, 4), (cpu) => enter(cpu, 2));

// LEAVE: ESP (or SP, by stack size) = EBP, then pop EBP (or BP, by operand size).
def2(0xc9,
  (cpu) => withStackRollback(cpu, () => {
    cpu.setSP(cpu.stack32 ? cpu.r32[Reg.EBP] : cpu.r16[Reg16.BP]);
    cpu.r32[Reg.EBP] = cpu.pop32();
  }),
  (cpu) => withStackRollback(cpu, () => {
    cpu.setSP(cpu.stack32 ? cpu.r32[Reg.EBP] : cpu.r16[Reg16.BP]);
    cpu.r16[Reg16.BP] = cpu.pop16();
  }));


// ---- compiled forms (see opcode-family.ts) ----------------------------------------

emit(range(0x50, 8), (c, _code, op) => c.straight(`cpu.push32(r32[${op & 7}]);`));
emit(range(0x58, 8), (c, _code, op) => c.straight(`r32[${op & 7}] = cpu.pop32();`));
emit(0x68, (c, code) => c.straight(`cpu.push32(${code.i32()});`));
emit(0x6a, (c, code) => c.straight(`cpu.push32(${code.s8()});`));
// LEAVE: the interpreter's own handler, which reads no code bytes.
emit(0xc9, (c) => c.straight('h.table[0xc9](cpu);'));
