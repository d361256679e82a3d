// Compiling one guest instruction into JavaScript, for the block compiler
// (block-compiler.ts).
//
// It knows the instructions gcc puts in hot code (moves, ALU, LEA, PUSH/POP,
// MOVZX/MOVSX, SETcc/CMOVcc, jumps, calls, returns) and nothing else: null
// for any other, which the interpreter then runs. What an arithmetic
// instruction computes, the flags it leaves and the conditions read from
// them come from arith-semantics.ts, the text the interpreter's functions
// are built from; the rest calls the interpreter's own helpers (`h`). This
// file decodes the operands and writes the plumbing between them.
//
// The modelled cycles (../cycle-model.ts) are the interpreter's: each
// instruction's static costs are added up here, and a taken Jcc its cycle
// as it runs.

import { CF, DF, Lazy } from '../flags.ts';
import { table } from '../dispatch.ts';
import { commitFlags, shiftRotate } from '../ops/shift.ts';
import { div, idiv, imul32, imulOneOperand, mul } from '../ops/multiply.ts';
import { ALU_LAZY, aluSource, conditionSource, incDecSource, isLinearShift, negSource, shiftRecordSource, shiftSource } from '../ops/arith-semantics.ts';
import { absolute, CodeReader, decodeModRM, DS, offsetSource, REG8, register, type ModRM } from './code-reader.ts';
import { CYCLES, beyondInstruction } from '../cycle-model.ts';
import { LEAVE_BLOCK } from '../exceptions.ts';

/** Interpreter pieces the generated code calls, passed in as `h` (exported for the test that checks the names). */
export const helpers = { table, commitFlags, shiftRotate, imul32, mul, imulOneOperand, div, idiv, LEAVE_BLOCK };

/** What compiling one instruction produced. */
export interface Compiled {
  code: string;
  /** The instruction may fault: EIP must be known (ip0) before it runs. */
  faults: boolean;
  /** Control leaves straight-line code: the code sets cpu.eip itself and the block ends. */
  ends: boolean;
  /** For a direct jump: where it may go. */
  targets?: number[];
}

/**
 * The flag-producing operation of an instruction, whose operands are in the
 * block's locals x, y and r: a Jcc, SETcc or CMOVcc after it can test those
 * directly instead of asking the lazy record (CMP/TEST/DEC + Jcc is most of
 * the branches gcc emits).
 */
export interface FlagSource {
  op: Lazy;
  size: number;
}

/**
 * Code that may change the flags or the locals x, y and r: after any other
 * instruction (a MOV, a load or store, LEA, PUSH) the flags and their
 * operands are still the previous producer's, so a Jcc further on can still
 * test them directly. gcc often puts a store between a CMP and its Jcc.
 */
const TOUCHES_FLAGS_OR_OPERANDS = /(^|[^\w.])[xyr] =(?!=)|cpu\.lz|cpu\.flags|\bh\.|keepCarry|cpu\.condition/;

function reg8(n: number): string {
  return `r8[${REG8[n]}]`;
}

/**
 * A taken Jcc's cycle, charged as it runs. Only the last instruction of a
 * block is a Jcc, so nothing after it can fault and take the charge back.
 */
const TAKEN_BRANCH_CODE = `cpu.extraCycles += ${CYCLES.takenBranch};`;

/**
 * MOVS or STOS without a prefix (DS and ES, 32-bit addresses), as the
 * interpreter's single iteration: read, write, step ESI/EDI by DF, then the
 * element's cycle, charged once the element is done.
 */
function stringCode(movs: boolean, size: number): string {
  const access = size === 4 ? 32 : 8;
  const value = movs ? `cpu.read${access}(cpu.linear(${DS}, r32[6], ${size}))` : size === 4 ? 'r32[0]' : 'r8[0]';
  return `x = ${value}; cpu.write${access}(cpu.linear(0, r32[7], ${size}), x); ` +
    `y = (cpu.flags & ${DF}) !== 0 ? ${-size} : ${size};${movs ? ' r32[6] += y;' : ''} r32[7] += y; ` +
    `cpu.committedCycles += ${CYCLES.stringElement};`;
}

/**
 * Compiles the instructions of one block in order: it carries, from one
 * instruction to the next, which operation's flags the locals still hold.
 */
export class InstructionCompiler {
  /** The flag-producing operation whose operands are in x, y and r when the next instruction starts; null if unknown. */
  private produced: FlagSource | null = null;
  /** The same, as the instruction being compiled found it. */
  private previous: FlagSource | null = null;
  /**
   * Cycles the instruction being compiled costs beyond its one, known when
   * it is compiled: what the interpreter's handlers charge for the same
   * instruction. A taken Jcc adds its part when it runs.
   */
  cycles = 0;

  /** Compile the next instruction of the block: null when the compiler does not know it. */
  next(code: CodeReader, eip: number, startPos: number): Compiled | null {
    this.previous = this.produced;
    this.produced = null;
    this.cycles = 0;
    const c = this.compile(code, eip, startPos);
    if (c !== null && this.produced === null && !TOUCHES_FLAGS_OR_OPERANDS.test(c.code)) this.produced = this.previous;
    return c;
  }

  /** Code that leaves the linear address of a memory operand in `a` (segment checks as the interpreter does them). */
  private address(m: ModRM, size: number): string {
    this.cycles += CYCLES.memoryOperand;
    return `a = ${offsetSource(m)}; if (segCheck[${m.seg}] !== 0) cpu.checkSegmentAccess(${m.seg}, a, ${size}); a = (segBase[${m.seg}] + a) | 0;`;
  }

  /** INC/DEC keep CF: store it in cpu.flags, from the previous instruction's operands when they are known. */
  private keepCarryCode(): string {
    const f = this.previous;
    if (f === null) return 'cpu.keepCarry();';
    if (f.op === Lazy.Inc || f.op === Lazy.Dec || f.op === Lazy.Shift) return ''; // CF is in cpu.flags already
    const carry = conditionSource(f.op, f.size, 0x2);
    return carry === null ? 'cpu.keepCarry();' : `cpu.flags = (${carry}) ? cpu.flags | ${CF} : cpu.flags & ~${CF};`;
  }

  /** A JavaScript boolean for condition `cc`: from the previous instruction's operands when it is known. */
  private conditionCode(cc: number): string {
    const f = this.previous;
    return (f === null ? null : conditionSource(f.op, f.size, cc)) ?? `cpu.condition(${cc})`;
  }

  /**
   * SHL/SAL, SHR or SAR (group 2 /4 /6, /5, /7) of r32[reg] by `count` (a
   * JavaScript expression, 1..31), leaving x = the operand and r = the
   * result, with CF and OF in EFLAGS and a record for the rest (Lazy.Shift).
   * Rotates (ROL/ROR) call the interpreter's helper instead.
   */
  private shiftCode(op: number, reg: number, count: string): string {
    if (!isLinearShift(op)) return `r32[${reg}] = h.shiftRotate(cpu, ${op}, r32[${reg}], ${count}, 4); h.commitFlags(cpu);`;
    return `x = r32[${reg}]; ${shiftSource(op, 4, count)} ${shiftRecordSource(4)} r32[${reg}] = r;`;
  }

  /** `r = x op y` for ALU operation `op`, from the one definition of each; its operands stay in x and y for what follows. */
  private aluCode(op: number, size: number): string {
    this.produced = { op: ALU_LAZY[op]!, size };
    return aluSource(op, size);
  }

  /** A near JMP, CALL or RET: always a taken branch. */
  private branch(c: Compiled): Compiled {
    this.cycles += CYCLES.takenBranch;
    return c;
  }

  private multiply(c: Compiled): Compiled {
    this.cycles += beyondInstruction(CYCLES.multiply);
    return c;
  }

  private divide(c: Compiled): Compiled {
    this.cycles += beyondInstruction(CYCLES.divide);
    return c;
  }

  /** Jcc: EIP to `taken` or `notTaken`. */
  private conditionalJump(cc: number, taken: number, notTaken: number): string {
    return `if (${this.conditionCode(cc)}) { cpu.eip = ${taken}; ${TAKEN_BRANCH_CODE} } else cpu.eip = ${notTaken};`;
  }

  /** INC or DEC of a register or memory operand of `size` bytes (40-4F, FE, FF /0 /1), CF kept as it was. */
  private incDecCode(m: ModRM, size: number, dec: boolean): Compiled {
    this.produced = { op: dec ? Lazy.Dec : Lazy.Inc, size };
    const step = incDecSource(dec, size);
    // keepCarryCode reads the previous instruction's operands, so it runs before x is loaded.
    if (m.rmReg >= 0) {
      const reg = size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg);
      return { code: `${this.keepCarryCode()} x = ${reg}; ${step} ${reg} = r;`, faults: false, ends: false };
    }
    return {
      code: `${this.address(m, size)} cpu.prepareWrite(a, ${size}); ${this.keepCarryCode()} x = cpu.read${size * 8}(a); ${step} cpu.write${size * 8}(a, r);`,
      faults: true,
      ends: false,
    };
  }

  /** JavaScript for the instruction at `code.pos`, or null when the compiler does not know it. */
  compile(code: CodeReader, eip: number, startPos: number): Compiled | null {
    const op = code.u8();
    const next = () => (eip + (code.pos - startPos)) | 0;
    const ok = (c: string, faults: boolean): Compiled => ({ code: c, faults, ends: false });

    // ALU r/m, reg and reg, r/m: 00-3D (ADD OR ADC SBB AND SUB XOR CMP), 32-bit and byte forms.
    if (op < 0x40 && (op & 7) < 4) {
      const alu = op >>> 3;
      const form = op & 7;
      const size = form & 1 ? 4 : 1;
      const body = this.aluCode(alu, size);
      const m = decodeModRM(code, code.u8());
      const regRead = size === 4 ? `r32[${m.reg}]` : reg8(m.reg);
      const writes = alu !== 7;
      if (form < 2) { // r/m is the destination
        if (m.rmReg >= 0) {
          const dst = size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg);
          return ok(`x = ${dst}; y = ${regRead}; ${body}${writes ? ` ${dst} = r;` : ''}`, false);
        }
        const rd = size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)';
        const wr = size === 4 ? 'cpu.write32(a, r);' : 'cpu.write8(a, r);';
        return ok(`${this.address(m, size)}${writes ? ` cpu.prepareWrite(a, ${size});` : ''} x = ${rd}; y = ${regRead}; ${body}${writes ? ` ${wr}` : ''}`, true);
      }
      const src = m.rmReg >= 0 ? (size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)) : null;
      const load = src ? `y = ${src};` : `${this.address(m, size)} y = ${size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)'};`;
      return ok(`${load} x = ${regRead}; ${body}${writes ? ` ${regRead} = r;` : ''}`, src === null);
    }
    // ALU EAX, imm32 (05, 0D, 25, 2D, 35, 3D) and AL, imm8.
    if (op < 0x40 && ((op & 7) === 4 || (op & 7) === 5)) {
      const size = op & 1 ? 4 : 1;
      const body = this.aluCode(op >>> 3, size);
      const imm = size === 4 ? code.i32() : code.u8();
      const acc = size === 4 ? 'r32[0]' : 'r8[0]';
      return ok(`x = ${acc}; y = ${imm}; ${body}${op >>> 3 !== 7 ? ` ${acc} = r;` : ''}`, false);
    }
    switch (op) {
      case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
      case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
        const r = op & 7;
        const dec = op >= 0x48;
        return this.incDecCode(register(r), 4, dec);
      }
      case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
        return ok(`cpu.push32(r32[${op & 7}]);`, true);
      case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f:
        return ok(`r32[${op & 7}] = cpu.pop32();`, true);
      case 0x68: return ok(`cpu.push32(${code.i32()});`, true);
      case 0x6a: return ok(`cpu.push32(${code.s8()});`, true);
      case 0x80: case 0x81: case 0x83: {
        const size = op === 0x80 ? 1 : 4;
        const m = decodeModRM(code, code.u8());
        const body = this.aluCode(m.reg, size);
          const addr = m.rmReg < 0 ? this.address(m, size) : '';
        const imm = op === 0x81 ? code.i32() : op === 0x83 ? code.s8() : code.u8();
        const writes = m.reg !== 7;
        if (m.rmReg >= 0) {
          const dst = size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg);
          return ok(`x = ${dst}; y = ${imm}; ${body}${writes ? ` ${dst} = r;` : ''}`, false);
        }
        const rd = size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)';
        const wr = size === 4 ? 'cpu.write32(a, r);' : 'cpu.write8(a, r);';
        return ok(`${addr}${writes ? ` cpu.prepareWrite(a, ${size});` : ''} x = ${rd}; y = ${imm}; ${body}${writes ? ` ${wr}` : ''}`, true);
      }
      case 0x84: case 0x85: { // TEST r/m, reg
        const size = op === 0x85 ? 4 : 1;
        const m = decodeModRM(code, code.u8());
        const src = m.rmReg >= 0 ? (size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)) : null;
        const load = src ? `x = ${src};` : `${this.address(m, size)} x = ${size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)'};`;
        return ok(`${load} y = ${size === 4 ? `r32[${m.reg}]` : reg8(m.reg)}; ${this.aluCode(4, size)}`, src === null);
      }
      case 0xa8: return ok(`x = r8[0]; y = ${code.u8()}; ${this.aluCode(4, 1)}`, false);
      case 0xa9: return ok(`x = r32[0]; y = ${code.i32()}; ${this.aluCode(4, 4)}`, false);
      case 0x88: case 0x89: { // MOV r/m, reg
        const size = op === 0x89 ? 4 : 1;
        const m = decodeModRM(code, code.u8());
        const src = size === 4 ? `r32[${m.reg}]` : reg8(m.reg);
        if (m.rmReg >= 0) return ok(`${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)} = ${src};`, false);
        return ok(`${this.address(m, size)} cpu.write${size * 8}(a, ${src});`, true);
      }
      case 0x8a: case 0x8b: { // MOV reg, r/m
        const size = op === 0x8b ? 4 : 1;
        const m = decodeModRM(code, code.u8());
        const dst = size === 4 ? `r32[${m.reg}]` : reg8(m.reg);
        if (m.rmReg >= 0) return ok(`${dst} = ${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)};`, false);
        return ok(`${this.address(m, size)} ${dst} = cpu.read${size * 8}(a);`, true);
      }
      case 0x8d: { // LEA
        const m = decodeModRM(code, code.u8());
        if (m.rmReg >= 0) return null;
        return ok(`r32[${m.reg}] = ${offsetSource(m)};`, false);
      }
      case 0x90: return ok('', false);
      case 0x69: case 0x6b: { // IMUL r32, r/m32, imm
        const m = decodeModRM(code, code.u8());
        const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${this.address(m, 4)} x = cpu.read32(a);`;
        const imm = op === 0x69 ? code.i32() : code.s8();
        return this.multiply(ok(`${load} r32[${m.reg}] = h.imul32(cpu, x, ${imm});`, m.rmReg < 0));
      }
      case 0xc1: case 0xd1: { // shifts and rotates of a register by imm8 or 1 (RCL/RCR left to the interpreter)
        const m = decodeModRM(code, code.u8());
        if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
        const count = (op === 0xd1 ? 1 : code.u8()) & 31;
        if (count === 0) return ok('', false);
        // Only the inline shifts leave their result in r for a following Jcc.
        if (isLinearShift(m.reg)) this.produced = { op: Lazy.Shift, size: 4 };
        return ok(this.shiftCode(m.reg, m.rmReg, String(count)), false);
      }
      case 0xd3: { // ... by CL
        const m = decodeModRM(code, code.u8());
        if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
        // A zero count changes no flags, so what follows cannot assume the locals hold this instruction's.
        return ok(`y = r8[4] & 31; if (y !== 0) { ${this.shiftCode(m.reg, m.rmReg, 'y')} }`, false);
      }
      case 0xf7: { // group 3 on r/m32: TEST imm, NOT, NEG, MUL, IMUL, DIV, IDIV
        const m = decodeModRM(code, code.u8());
        const load = m.rmReg >= 0 ? `y = r32[${m.rmReg}];` : `${this.address(m, 4)} y = cpu.read32(a);`;
        const mem = m.rmReg < 0;
        switch (m.reg) {
          case 0: case 1: return ok(`${load} x = y; y = ${code.i32()}; ${this.aluCode(4, 4)}`, mem);
          case 2: return mem ? null : ok(`r32[${m.rmReg}] = ~r32[${m.rmReg}];`, false);
          case 3: return mem ? null : ok(`x = r32[${m.rmReg}]; ${negSource(4)} r32[${m.rmReg}] = r;`, false);
          case 4: return this.multiply(ok(`${load} h.mul(cpu, 4, y);`, mem));
          case 5: return this.multiply(ok(`${load} h.imulOneOperand(cpu, 4, y);`, mem));
          case 6: return this.divide(ok(`${load} h.div(cpu, 4, y);`, true)); // #DE
          default: return this.divide(ok(`${load} h.idiv(cpu, 4, y);`, true));
        }
      }
      case 0xfe: { // INC/DEC r/m8
        const m = decodeModRM(code, code.u8());
        return m.reg <= 1 ? this.incDecCode(m, 1, m.reg === 1) : null;
      }
      case 0xf6: { // TEST r/m8, imm8 (group 3 /0; the rest are the interpreter's)
        const m = decodeModRM(code, code.u8());
        if (m.reg !== 0) return null;
        const load = m.rmReg >= 0 ? `x = ${reg8(m.rmReg)};` : `${this.address(m, 1)} x = cpu.read8(a);`;
        return ok(`${load} y = ${code.u8()}; ${this.aluCode(4, 1)}`, m.rmReg < 0);
      }
      case 0xa4: return ok(stringCode(true, 1), true);
      case 0xa5: return ok(stringCode(true, 4), true);
      case 0xaa: return ok(stringCode(false, 1), true);
      case 0xab: return ok(stringCode(false, 4), true);
      case 0xff: {
        const m = decodeModRM(code, code.u8());
        // Before `load`: this.address() counts the operand's cycles each time it is called.
        if (m.reg <= 1) return this.incDecCode(m, 4, m.reg === 1);
        const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${this.address(m, 4)} x = cpu.read32(a);`;
        switch (m.reg) {
          case 2: return this.branch({ code: `${load} cpu.push32(${next()}); cpu.eip = x;`, faults: true, ends: true }); // CALL r/m32
          case 4: return this.branch({ code: `${load} cpu.eip = x;`, faults: m.rmReg < 0, ends: true }); // JMP r/m32
          case 6: return ok(`${load} cpu.push32(x);`, true); // PUSH r/m32
          default: return null;
        }
      }
      case 0xc9: return ok('h.table[0xc9](cpu);', true); // LEAVE: the interpreter's handler reads no code bytes
      case 0x98: return ok('r32[0] = (r32[0] << 16) >> 16;', false); // CWDE
      case 0xc2: {
        const n = code.u16();
        return this.branch({ code: `x = cpu.pop32(); cpu.setSP(cpu.stack32 ? (r32[4] + ${n}) | 0 : (r16[8] + ${n}) & 0xffff); cpu.eip = x;`, faults: true, ends: true });
      }
      case 0x66: { // 16-bit moves of struct fields
        const op2 = code.u8();
        if (op2 !== 0x89 && op2 !== 0x8b && op2 !== 0xc7) return null;
        const m = decodeModRM(code, code.u8());
        if (op2 === 0xc7) {
          if (m.reg !== 0) return null;
          const addr = m.rmReg < 0 ? this.address(m, 2) : '';
          const imm = code.u16();
          if (m.rmReg >= 0) return ok(`r16[${m.rmReg << 1}] = ${imm};`, false);
          return ok(`${addr} cpu.write16(a, ${imm});`, true);
        }
        if (op2 === 0x89) {
          if (m.rmReg >= 0) return ok(`r16[${m.rmReg << 1}] = r16[${m.reg << 1}];`, false);
          return ok(`${this.address(m, 2)} cpu.write16(a, r16[${m.reg << 1}]);`, true);
        }
        if (m.rmReg >= 0) return ok(`r16[${m.reg << 1}] = r16[${m.rmReg << 1}];`, false);
        return ok(`${this.address(m, 2)} r16[${m.reg << 1}] = cpu.read16(a);`, true);
      }
      case 0x99: return ok('r32[2] = r32[0] >> 31;', false); // CDQ
      case 0xa1: { const off = code.i32(); return ok(`${this.address(absolute(off), 4)} r32[0] = cpu.read32(a);`, true); }
      case 0xa3: { const off = code.i32(); return ok(`${this.address(absolute(off), 4)} cpu.write32(a, r32[0]);`, true); }
      case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
        return ok(`${reg8(op & 7)} = ${code.u8()};`, false);
      case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
        return ok(`r32[${op & 7}] = ${code.i32()};`, false);
      case 0xc6: case 0xc7: { // MOV r/m, imm
        const size = op === 0xc7 ? 4 : 1;
        const m = decodeModRM(code, code.u8());
        if (m.reg !== 0) return null;
        const addr = m.rmReg < 0 ? this.address(m, size) : '';
        const imm = size === 4 ? code.i32() : code.u8();
        if (m.rmReg >= 0) return ok(`${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)} = ${imm};`, false);
        return ok(`${addr} cpu.write${size * 8}(a, ${imm});`, true);
      }
      // Control transfers end the block; each sets cpu.eip to where execution continues.
      case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
      case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
        const d = code.s8();
        const n = next();
        return { code: this.conditionalJump(op & 0xf, (n + d) | 0, n), faults: false, ends: true, targets: [(n + d) | 0, n] };
      }
      case 0xeb: { const d = code.s8(); const t = (next() + d) | 0; return this.branch({ code: `cpu.eip = ${t};`, faults: false, ends: true, targets: [t] }); }
      case 0xe9: { const d = code.i32(); const t = (next() + d) | 0; return this.branch({ code: `cpu.eip = ${t};`, faults: false, ends: true, targets: [t] }); }
      case 0xe8: {
        const d = code.i32();
        const n = next();
        return this.branch({ code: `cpu.push32(${n}); cpu.eip = ${(n + d) | 0};`, faults: true, ends: true });
      }
      case 0xc3: return this.branch({ code: 'cpu.eip = cpu.pop32();', faults: true, ends: true });
      case 0x0f: return this.compileTwoByte(code, eip, startPos);
      default: return null;
    }
  }

  private compileTwoByte(code: CodeReader, eip: number, startPos: number): Compiled | null {
    const op = code.u8();
    const ok = (c: string, faults: boolean): Compiled => ({ code: c, faults, ends: false });
    if (op >= 0x80 && op <= 0x8f) { // Jcc rel32
      const d = code.i32();
      const n = (eip + (code.pos - startPos)) | 0;
      return { code: this.conditionalJump(op & 0xf, (n + d) | 0, n), faults: false, ends: true, targets: [(n + d) | 0, n] };
    }
    if (op >= 0x90 && op <= 0x9f) { // SETcc r/m8
      const cond = this.conditionCode(op & 0xf);
      const m = decodeModRM(code, code.u8());
      const v = `(${cond} ? 1 : 0)`;
      if (m.rmReg >= 0) return ok(`${reg8(m.rmReg)} = ${v};`, false);
      return ok(`${this.address(m, 1)} cpu.write8(a, ${v});`, true);
    }
    if (op >= 0x40 && op <= 0x4f) { // CMOVcc r32, r/m32: the source is read (and may fault) either way
      const cond = this.conditionCode(op & 0xf);
      const m = decodeModRM(code, code.u8());
      // The condition is evaluated before the load, which uses the local y the condition may need.
      const load = m.rmReg >= 0 ? `a = r32[${m.rmReg}];` : `${this.address(m, 4)} a = cpu.read32(a);`;
      return ok(`x = ${cond} ? 1 : 0; ${load} if (x === 1) r32[${m.reg}] = a;`, m.rmReg < 0);
    }
    switch (op) {
      case 0xb6: case 0xb7: case 0xbe: case 0xbf: { // MOVZX/MOVSX r32, r/m8 or r/m16
        const m = decodeModRM(code, code.u8());
        const byte = op === 0xb6 || op === 0xbe;
        const signed = op >= 0xbe;
        let load: string;
        if (m.rmReg >= 0) load = `y = ${byte ? reg8(m.rmReg) : `r16[${m.rmReg << 1}]`};`;
        else load = `${this.address(m, byte ? 1 : 2)} y = cpu.read${byte ? 8 : 16}(a);`;
        const ext = signed ? (byte ? '(y << 24) >> 24' : '(y << 16) >> 16') : 'y';
        return ok(`${load} r32[${m.reg}] = ${ext};`, m.rmReg < 0);
      }
      case 0xaf: { // IMUL r32, r/m32
        const m = decodeModRM(code, code.u8());
        const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${this.address(m, 4)} x = cpu.read32(a);`;
        return this.multiply(ok(`${load} r32[${m.reg}] = h.imul32(cpu, r32[${m.reg}], x);`, m.rmReg < 0));
      }
      default:
        return null;
    }
  }
}
