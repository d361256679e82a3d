// Compiling one guest instruction into JavaScript, for the block compiler
// (block-compiler.ts).
//
// Each instruction's compiled form sits beside its interpreter handler in
// ops/, in the same opcode map (opcode-family.ts, `emit`): the compiler knows
// the instructions gcc puts in hot code (moves, ALU, LEA, PUSH/POP,
// MOVZX/MOVSX, SETcc/CMOVcc, jumps, calls, returns) and returns null for any
// other, which the interpreter then runs. What an arithmetic instruction
// computes, the flags it leaves and the conditions read from them come from
// arith-semantics.ts, the text the interpreter's functions are built from;
// the rest calls the interpreter's own helpers (`h`). This file carries the
// block's state from one instruction to the next and writes the parts the
// compiled forms share: memory operands, flag conditions, cycles.
//
// The modelled cycles (../cycle-model.ts) are the interpreter's: each
// instruction's static costs are added up here, and a taken Jcc its cycle
// as it runs.

import { CF, Lazy } from '../flags.ts';
import { emitters, table } from '../dispatch.ts';
import { O16, TWO_BYTE } from '../opcode-family.ts';
import { commitFlags, shiftRotate } from '../ops/shift.ts';
import { div32, idiv32, mulHighSigned, mulHighUnsigned } from '../ops/multiply.ts';
import { ALU_LAZY, aluSource, conditionSource, incDecSource, isLinearShift, shiftRecordSource, shiftSource } from '../ops/arith-semantics.ts';
import { offsetSource, REG8, type CodeReader, type ModRM } from './code-reader.ts';
import { CYCLES, beyondInstruction } from '../cycle-model.ts';
import { LEAVE_BLOCK } from '../exceptions.ts';

/** Interpreter pieces the generated code calls, passed in as `h` (exported for the test that checks the names). */
export const helpers = { table, commitFlags, shiftRotate, mulHighUnsigned, mulHighSigned, div32, idiv32, LEAVE_BLOCK };

/** What compiling one instruction produced. */
export interface Compiled {
  code: string;
  /** Control leaves straight-line code: the code sets cpu.eip itself and the block ends. */
  ends: boolean;
  /** For a direct jump: where it may go. */
  targets?: number[];
  /**
   * For a Jcc: the same instruction as a side exit, so that the block can go
   * on with the instructions after it, leaving by `leave` when the branch is
   * taken.
   */
  sideExit?: (leave: Leave) => string;
  /**
   * For a direct JMP or CALL: the code that remains (CALL's push) when the
   * block goes on with the instructions at the target, `at`; for a CALL, the
   * return address it pushes.
   */
  goesOn?: { at: number; code: string; pushed?: number };
  /**
   * For a RET: the same instruction for a block that expects it to return to
   * `expected` (a CALL earlier in the block pushed that) and goes on there,
   * leaving by `leave` when it returns elsewhere.
   */
  returnsTo?: (expected: number, leave: Leave) => string;
  /**
   * For a Jcc: the same instruction for a block that goes on at the branch
   * target (the back edge of a loop, or a branch the block follows because
   * it is mostly taken): it leaves by `leave`, past it, when not taken; when
   * taken, what follows charges its cycle, `takenCycles`.
   */
  onTaken?: { code: (leave: Leave) => string; takenCycles: number };
}

/**
 * Code that leaves the block before its end, with the instruction being
 * compiled retired: to EIP `to` (a JavaScript expression), charging
 * `takenCycles` beyond the instructions' static cycles (a taken Jcc's).
 */
export type Leave = (to: string, takenCycles: number) => string;

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

/**
 * A taken Jcc's cycle, charged as it runs. A taken Jcc leaves the block (at
 * its end, or by a side exit), so nothing after it can fault and take the
 * charge back.
 */
const TAKEN_BRANCH_CODE = `cpu.extraCycles += ${CYCLES.takenBranch};`;

/**
 * Compiles the instructions of one block in order: it carries, from one
 * instruction to the next, which operation's flags the locals still hold.
 */
export class InstructionCompiler {
  /**
   * Segments the block's memory operands use, of those in `flat`: their code
   * has no limit check and no base (see address()), so the block is only good
   * while they stay flat, which block-cache.ts sees to.
   */
  assumedFlat = 0;

  /** `flat`: bit s set when segment register s needs no check (base 0, limit 4 GiB) and may be compiled so. */
  constructor(private readonly flat = 0) {}

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

  /** The instruction being compiled: its EIP, and where its bytes start in the reader. */
  private eip = 0;
  private startPos = 0;

  /** Compile the next instruction of the block: null when the compiler does not know it. */
  next(code: CodeReader, eip: number, startPos: number): Compiled | null {
    this.previous = this.produced;
    this.produced = null;
    this.cycles = 0;
    const c = this.compile(code, eip, startPos);
    if (c !== null && this.produced === null && !TOUCHES_FLAGS_OR_OPERANDS.test(c.code)) this.produced = this.previous;
    return c;
  }

  /** The EIP after the instruction being compiled, once all its bytes are read. */
  nextEip(code: CodeReader): number {
    return (this.eip + (code.pos - this.startPos)) | 0;
  }

  /** Straight-line code: it does not end the block. */
  straight(code: string): Compiled {
    return { code, ends: false };
  }

  /** A byte register by its ModRM number (AL CL DL BL AH CH DH BH). */
  reg8(n: number): string {
    return `r8[${REG8[n]}]`;
  }

  /** A register operand of `size` bytes (1, 2 or 4) by its ModRM number. */
  reg(n: number, size: number): string {
    return size === 4 ? `r32[${n}]` : size === 2 ? `r16[${n << 1}]` : this.reg8(n);
  }

  /** Code that leaves the r/m operand `m` of `size` bytes in the local `into`: a register, or memory through `a`. */
  loadRm(m: ModRM, size: number, into: string): string {
    return m.rmReg >= 0 ? `${into} = ${this.reg(m.rmReg, size)};` : `${this.address(m, size)} ${into} = cpu.read${size * 8}(a);`;
  }

  /** Code that stores `value` into the r/m operand `m` of `size` bytes: a register, or memory through `a`. */
  storeRm(m: ModRM, size: number, value: string): Compiled {
    if (m.rmReg >= 0) return this.straight(`${this.reg(m.rmReg, size)} = ${value};`);
    return this.straight(`${this.address(m, size)} cpu.write${size * 8}(a, ${value});`);
  }

  /**
   * `body` (aluCode: r from x and y) with the r/m operand `m` as x and the
   * destination, `y` the other operand; `writes` false (CMP, TEST) stores nothing.
   */
  aluIntoRm(m: ModRM, size: number, y: string, body: string, writes: boolean): Compiled {
    if (m.rmReg >= 0) {
      const dst = this.reg(m.rmReg, size);
      return this.straight(`x = ${dst}; y = ${y}; ${body}${writes ? ` ${dst} = r;` : ''}`);
    }
    const stored = writes ? ` cpu.write${size * 8}(a, r);` : '';
    return this.straight(`${this.address(m, size)}${writes ? ` cpu.prepareWrite(a, ${size});` : ''} x = cpu.read${size * 8}(a); y = ${y}; ${body}${stored}`);
  }

  /**
   * Code that leaves the linear address of a memory operand in `a`, with the
   * segment check the interpreter makes. Through a flat segment (no check
   * needed, which the CPU only says of a base-0, 4 GiB segment) the linear
   * address is the offset: most of gcc's memory operands, each spared a test
   * and an add.
   */
  address(m: ModRM, size: number): string {
    this.cycles += CYCLES.memoryOperand;
    return this.linear(m, size);
  }

  /** address() without the memory operand's cycles: for the string instructions, which charge per element. */
  linear(m: ModRM, size: number): string {
    if ((this.flat >>> m.seg) & 1) {
      this.assumedFlat |= 1 << m.seg;
      return `a = ${offsetSource(m)};`;
    }
    return `a = ${offsetSource(m)}; if (segCheck[${m.seg}] !== 0) cpu.checkSegmentAccess(${m.seg}, a, ${size}); a = (segBase[${m.seg}] + a) | 0;`;
  }

  /** INC/DEC keep CF: store it in cpu.flags, from the previous instruction's operands when they are known. */
  keepCarryCode(): string {
    const f = this.previous;
    if (f === null) return 'cpu.keepCarry();';
    if (f.op === Lazy.Inc || f.op === Lazy.Dec || f.op === Lazy.Shift) return ''; // CF is in cpu.flags already
    const carry = conditionSource(f.op, f.size, 0x2);
    return carry === null ? 'cpu.keepCarry();' : `cpu.flags = (${carry}) ? cpu.flags | ${CF} : cpu.flags & ~${CF};`;
  }

  /** A JavaScript boolean for condition `cc`: from the previous instruction's operands when it is known. */
  conditionCode(cc: number): string {
    const f = this.previous;
    return (f === null ? null : conditionSource(f.op, f.size, cc)) ?? `cpu.condition(${cc})`;
  }

  /**
   * SHL/SAL, SHR or SAR (group 2 /4 /6, /5, /7) of r32[reg] by `count` (a
   * JavaScript expression, 1..31), leaving x = the operand and r = the
   * result, with CF and OF in EFLAGS and a record for the rest (Lazy.Shift).
   * Rotates (ROL/ROR) call the interpreter's helper instead.
   */
  shiftCode(op: number, reg: number, count: string): string {
    if (!isLinearShift(op)) return `r32[${reg}] = h.shiftRotate(cpu, ${op}, r32[${reg}], ${count}, 4); h.commitFlags(cpu);`;
    return `x = r32[${reg}]; ${shiftSource(op, 4, count)} ${shiftRecordSource(4)} r32[${reg}] = r;`;
  }

  /** `r = x op y` for ALU operation `op`, from the one definition of each; its operands stay in x and y for what follows. */
  aluCode(op: number, size: number): string {
    this.produced = { op: ALU_LAZY[op]!, size };
    return aluSource(op, size);
  }

  /** The shift just compiled leaves its operands and result in the locals, for a Jcc after it. */
  producedShift(size: number): void {
    this.produced = { op: Lazy.Shift, size };
  }

  /** A near JMP, CALL or RET: always a taken branch. */
  branch(c: Compiled): Compiled {
    this.cycles += CYCLES.takenBranch;
    return c;
  }

  /** A 32-bit MUL or IMUL (multiply.ts): it leaves the low half of the product in r, and a Lazy.Product record. */
  multiply(c: Compiled): Compiled {
    this.cycles += beyondInstruction(CYCLES.multiply);
    this.produced = { op: Lazy.Product, size: 4 };
    return c;
  }

  divide(c: Compiled): Compiled {
    this.cycles += beyondInstruction(CYCLES.divide);
    return c;
  }

  /** Jcc: EIP to `taken` or `notTaken` (the next instruction), or a side exit to `taken` in a block that goes on. */
  conditionalJump(cc: number, taken: number, notTaken: number): Compiled {
    const condition = this.conditionCode(cc);
    return {
      code: `if (${condition}) { cpu.eip = ${taken}; ${TAKEN_BRANCH_CODE} } else cpu.eip = ${notTaken};`,
      ends: true,
      targets: [taken, notTaken],
      sideExit: (leave) => `if (${condition}) ${leave(String(taken), CYCLES.takenBranch)}`,
      onTaken: { code: (leave) => `if (!(${condition})) ${leave(String(notTaken), 0)}`, takenCycles: CYCLES.takenBranch },
    };
  }

  /** INC or DEC of a register or memory operand of `size` bytes (40-4F, FE, FF /0 /1), CF kept as it was. */
  incDecCode(m: ModRM, size: number, dec: boolean): Compiled {
    this.produced = { op: dec ? Lazy.Dec : Lazy.Inc, size };
    const step = incDecSource(dec, size);
    // keepCarryCode reads the previous instruction's operands, so it runs before x is loaded.
    if (m.rmReg >= 0) {
      const reg = size === 4 ? `r32[${m.rmReg}]` : this.reg8(m.rmReg);
      return { code: `${this.keepCarryCode()} x = ${reg}; ${step} ${reg} = r;`, ends: false };
    }
    return {
      code: `${this.address(m, size)} cpu.prepareWrite(a, ${size}); ${this.keepCarryCode()} x = cpu.read${size * 8}(a); ${step} cpu.write${size * 8}(a, r);`,
      ends: false,
    };
  }

  /** JavaScript for the instruction at `code.pos`, or null when the compiler does not know it. */
  private compile(code: CodeReader, eip: number, startPos: number): Compiled | null {
    this.eip = eip;
    this.startPos = startPos;
    let op = code.u8();
    let index = op;
    // After 66, the 16-bit half of the map (where only some moves have a compiled form); after 0F, the two-byte map.
    if (op === 0x66) {
      op = code.u8();
      index = op | O16;
    } else if (op === 0x0f) {
      op = code.u8();
      index = op | TWO_BYTE;
    }
    const emit = emitters[index];
    return emit === undefined ? null : emit(this, code, op);
  }
}
