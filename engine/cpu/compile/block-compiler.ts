// Translation of hot straight-line guest code into JavaScript functions.
//
// The interpreter decodes every instruction every time it runs. For code
// that runs often (loop bodies, hot functions) this compiler decodes a basic
// block once and emits a JavaScript function that does exactly what the
// interpreter would do for those instructions, with ModRM, SIB, displacements
// and immediates already resolved; V8 then compiles that to machine code.
//
// It knows the instructions gcc puts in hot code (moves, ALU, LEA, PUSH/POP,
// MOVZX/MOVSX, SETcc/CMOVcc, jumps, calls, returns) and nothing else: a block
// ends before the first instruction it does not know, which the interpreter
// then runs. Blocks never cross a page, so invalidating a page's blocks on a
// write (self-modifying code, a loader reusing memory) is exact.
//
// Everything observable stays as the interpreter would have it: faults are
// raised at the same instruction with EIP and the retired count pointing at
// it, memory goes through the same TLB and segment checks, flags through the
// same lazy record, and the modelled cycles (../cycle-model.ts) are the
// interpreter's: each block adds the static costs of its instructions as one
// sum, and a taken Jcc its cycle as it runs.

import type { CPU } from '../cpu.ts';
import { CF, DF, Lazy, OF } from '../flags.ts';
import { table } from '../dispatch.ts';
import { commitFlags, shiftRotate } from '../ops/shift.ts';
import { div, idiv, imul32, imulOneOperand, mul } from '../ops/multiply.ts';
import { alu } from '../ops/arith.ts';
import { CodeReader, decodeModRM, DS, OUT_OF_PAGE, REG8, SS, type ModRM } from './code-reader.ts';
import { CYCLES, beyondInstruction } from '../cycle-model.ts';
import { inlineMemoryFastPaths } from './memory-fast-paths.ts';
import { LEAVE_BLOCK } from '../exceptions.ts';

/** Interpreter pieces the generated code calls, passed in as `h` (exported for the test that checks the names). */
export const helpers = { table, commitFlags, shiftRotate, imul32, mul, imulOneOperand, div, idiv, alu, LEAVE_BLOCK };

/** Generated code that may store to memory (and so may rewrite code): the slow paths' calls. */
const WRITES = /cpu\.(write(8|16|32)|push32|push16)\(/;

/** A compiled block: run it only if `length` more instructions fit the budget. */
export class Block {
  constructor(
    /** Physical address of the first instruction (the cache key) and its EIP and CS base. */
    readonly phys: number,
    readonly eip: number,
    readonly csBase: number,
    /** Instructions in the block; 0 means "nothing compilable here: interpret". */
    readonly length: number,
    /** Runs the block; a block that ends by jumping to its own start repeats while `limit` allows. */
    readonly run: (cpu: CPU, limit: number) => void,
  ) {}

  /** False once a write to its page has dropped it. */
  valid = true;
  /** The blocks that followed this one last time, so the run loop can go straight on (block chaining). */
  next0: Block = this;
  next1: Block = this;
}

/** Fills empty cache slots, so the cache array never has holes: it matches no address. */
export const NO_BLOCK = new Block(-1, -1, -1, 0, () => {});

/** The longest block: bounds compile time and the budget granularity. */
const MAX_INSTRUCTIONS = 48;

/**
 * Cycles (cycle-model.ts) the instruction being compiled costs beyond its
 * one, known when it is compiled: what the interpreter's handlers charge for
 * the same instruction. A taken Jcc adds its part when it runs.
 */
let staticCycles = 0;

/** Code that leaves the linear address of a memory operand in `a` (segment checks as the interpreter does them). */
function address(m: ModRM, size: number): string {
  staticCycles += CYCLES.memoryOperand;
  return `a = ${m.offset}; if (segCheck[${m.seg}] !== 0) cpu.checkSegmentAccess(${m.seg}, a, ${size}); a = (segBase[${m.seg}] + a) | 0;`;
}

function reg8(n: number): string {
  return `r8[${REG8[n]}]`;
}

/**
 * The flag-producing operation of the instruction compiled just before the
 * current one, whose operands are still in the locals x, y and r: a Jcc,
 * SETcc or CMOVcc right after it can test those directly instead of asking
 * the lazy record (CMP/TEST/DEC + Jcc is most of the branches gcc emits).
 */
interface FlagSource {
  op: Lazy;
  size: number;
}
let producedFlags: FlagSource | null = null;
let previousFlags: FlagSource | null = null;

/**
 * Code that may change the flags or the locals x, y and r: after any other
 * instruction (a MOV, a load or store, LEA, PUSH) the flags and their
 * operands are still the previous producer's, so a Jcc further on can still
 * test them directly. gcc often puts a store between a CMP and its Jcc.
 */
const TOUCHES_FLAGS_OR_OPERANDS = /(^|[^\w.])[xyr] =(?!=)|cpu\.lz|cpu\.flags|\bh\.|keepCarry|cpu\.condition/;

/** The lazy-flag record an ALU operation leaves, as the interpreter's alu() does. */
function lazy(op: Lazy, a: string, b: string, r: string, size: number): string {
  if (a === 'x' && b === 'y' && r === 'r') producedFlags = { op, size };
  else if (op === Lazy.Inc || op === Lazy.Dec) producedFlags = { op, size };
  return `cpu.lzOp = ${op}; cpu.lzA = ${a}; cpu.lzB = ${b}; cpu.lzR = ${r}; cpu.lzSize = ${size};`;
}

/** INC/DEC keep CF: store it in cpu.flags, from the previous instruction's operands when they are known. */
function keepCarryCode(): string {
  const f = previousFlags;
  if (f === null || f.size !== 4) return 'cpu.keepCarry();';
  switch (f.op) {
    case Lazy.Inc: case Lazy.Dec: return ''; // CF is in cpu.flags already
    case Lazy.Logic: return 'cpu.flags &= ~1;';
    case Lazy.Sub: return 'cpu.flags = (x >>> 0) < (y >>> 0) ? cpu.flags | 1 : cpu.flags & ~1;';
    case Lazy.Add: return 'cpu.flags = (r >>> 0) < (x >>> 0) ? cpu.flags | 1 : cpu.flags & ~1;';
    default: return 'cpu.keepCarry();';
  }
}

/**
 * A JavaScript boolean for condition `cc`, straight from the operands of the
 * previous instruction when it is known; else the CPU's general evaluation.
 * Each case is the SDM's condition written for that operation's flags.
 */
function conditionCode(cc: number): string {
  const f = previousFlags;
  const general = `cpu.condition(${cc})`;
  if (f === null || f.size !== 4) {
    if (f !== null && (cc === 4 || cc === 5)) return cc === 4 ? 'r === 0' : 'r !== 0';
    return general;
  }
  const zeroSign: Record<number, string> = { 4: 'r === 0', 5: 'r !== 0', 8: 'r < 0', 9: 'r >= 0' };
  switch (f.op) {
    case Lazy.Sub: {
      const sub: Record<number, string> = {
        2: '(x >>> 0) < (y >>> 0)', 3: '(x >>> 0) >= (y >>> 0)', 4: 'x === y', 5: 'x !== y',
        6: '(x >>> 0) <= (y >>> 0)', 7: '(x >>> 0) > (y >>> 0)', 8: 'r < 0', 9: 'r >= 0',
        0xc: 'x < y', 0xd: 'x >= y', 0xe: 'x <= y', 0xf: 'x > y',
      };
      return sub[cc] ?? general;
    }
    case Lazy.Logic: {
      // CF = OF = 0: "below" never holds, "less" is just the sign.
      const logic: Record<number, string> = {
        2: 'false', 3: 'true', 6: 'r === 0', 7: 'r !== 0', 0xc: 'r < 0', 0xd: 'r >= 0', 0xe: 'r <= 0', 0xf: 'r > 0',
      };
      return zeroSign[cc] ?? logic[cc] ?? general;
    }
    default:
      return zeroSign[cc] ?? general;
  }
}

/**
 * SHL/SAL, SHR or SAR (group 2 /4 /6, /5, /7) of r32[reg] by `count` (a
 * JavaScript expression, 1..31), with the flags shiftRotate() gives them: CF
 * is the last bit shifted out, OF = MSB(value shifted by count-1) XOR MSB(result),
 * AF = 0. Leaves x = the operand and r = the result. Rotates (ROL/ROR)
 * call the interpreter's helper instead.
 */
function shiftCode(op: number, reg: number, count: string): string {
  let result: string;
  let beforeLast: string;
  switch (op) {
    case 4: case 6: result = `x << ${count}`; beforeLast = `(x << (${count} - 1))`; break;
    case 5: result = `(x >>> ${count}) | 0`; beforeLast = `(x >>> (${count} - 1))`; break;
    case 7: result = `x >> ${count}`; beforeLast = `(x >> (${count} - 1))`; break;
    default: return `r32[${reg}] = h.shiftRotate(cpu, ${op}, r32[${reg}], ${count}, 4); h.commitFlags(cpu);`;
  }
  const carry = op === 4 || op === 6 ? `(${beforeLast} >>> 31)` : `(${beforeLast} & 1)`;
  return `x = r32[${reg}]; r = ${result}; ` +
    `cpu.flags = (cpu.flags & ~${CF | OF}) | ${carry} | (((${beforeLast} ^ r) >>> 31) << 11); ` +
    `cpu.lzOp = ${Lazy.Shift}; cpu.lzR = r; cpu.lzSize = 4; r32[${reg}] = r;`;
}

/**
 * `r = a op b` for the ALU operations compiled inline (ADD OR AND SUB XOR CMP);
 * ADC and SBB return null: they are left to the interpreter.
 */
function aluCode(op: number, size: number): string | null {
  const mask = size === 4 ? '| 0' : size === 2 ? '& 0xffff' : '& 0xff';
  switch (op) {
    case 0: return `r = (x + y) ${mask}; ${lazy(Lazy.Add, 'x', 'y', 'r', size)}`;
    case 1: return `r = (x | y) ${mask}; ${lazy(Lazy.Logic, 'x', 'y', 'r', size)}`;
    case 4: return `r = (x & y) ${mask}; ${lazy(Lazy.Logic, 'x', 'y', 'r', size)}`;
    case 5: case 7: return `r = (x - y) ${mask}; ${lazy(Lazy.Sub, 'x', 'y', 'r', size)}`;
    case 6: return `r = (x ^ y) ${mask}; ${lazy(Lazy.Logic, 'x', 'y', 'r', size)}`;
    default: return `r = h.alu(cpu, ${op}, x, y, ${size});`; // ADC, SBB: the carry-in makes them the interpreter's
  }
}

/** A near JMP, CALL or RET: always a taken branch. */
function branch(c: Compiled): Compiled {
  staticCycles += CYCLES.takenBranch;
  return c;
}

function multiply(c: Compiled): Compiled {
  staticCycles += beyondInstruction(CYCLES.multiply);
  return c;
}

function divide(c: Compiled): Compiled {
  staticCycles += beyondInstruction(CYCLES.divide);
  return c;
}

/**
 * A taken Jcc's cycle, charged as it runs. Only the last instruction of a
 * block is a Jcc, so nothing after it can fault and take the charge back.
 */
const TAKEN_BRANCH_CODE = `cpu.extraCycles += ${CYCLES.takenBranch};`;

/** Jcc: EIP to `taken` or `notTaken`. */
function conditionalJump(cc: number, taken: number, notTaken: number): string {
  return `if (${conditionCode(cc)}) { cpu.eip = ${taken}; ${TAKEN_BRANCH_CODE} } else cpu.eip = ${notTaken};`;
}

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

/** INC or DEC of a register or memory operand of `size` bytes (FE, FF /0 /1), CF kept as it was. */
function incDecCode(m: ModRM, size: number, dec: boolean): Compiled {
  const mask = size === 4 ? '| 0' : '& 0xff';
  const step = `r = (x ${dec ? '-' : '+'} 1) ${mask}; ${lazy(dec ? Lazy.Dec : Lazy.Inc, 'x', '1', 'r', size)}`;
  // keepCarryCode reads the previous instruction's operands, so it runs before x is loaded.
  if (m.rmReg >= 0) {
    const reg = size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg);
    return { code: `${keepCarryCode()} x = ${reg}; ${step} ${reg} = r;`, faults: false, ends: false };
  }
  return {
    code: `${address(m, size)} cpu.prepareWrite(a, ${size}); ${keepCarryCode()} x = cpu.read${size * 8}(a); ${step} cpu.write${size * 8}(a, r);`,
    faults: true,
    ends: false,
  };
}

/** What compiling one instruction produced. */
interface Compiled {
  code: string;
  /** The instruction may fault: EIP must be known (ip0) before it runs. */
  faults: boolean;
  /** Control leaves straight-line code: the code sets cpu.eip itself and the block ends. */
  ends: boolean;
  /** For a direct jump: where it may go. */
  targets?: number[];
}

/** JavaScript for the instruction at `code.pos`, or null when the compiler does not know it. */
function compileInstruction(code: CodeReader, eip: number, startPos: number): Compiled | null {
  const op = code.u8();
  const next = () => (eip + (code.pos - startPos)) | 0;
  const ok = (c: string, faults: boolean): Compiled => ({ code: c, faults, ends: false });

  // ALU r/m, reg and reg, r/m: 00-3D (ADD OR ADC SBB AND SUB XOR CMP), 32-bit and byte forms.
  if (op < 0x40 && (op & 7) < 4) {
    const alu = op >>> 3;
    const form = op & 7;
    const size = form & 1 ? 4 : 1;
    const body = aluCode(alu, size);
    if (!body) return null;
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
      return ok(`${address(m, size)}${writes ? ` cpu.prepareWrite(a, ${size});` : ''} x = ${rd}; y = ${regRead}; ${body}${writes ? ` ${wr}` : ''}`, true);
    }
    const src = m.rmReg >= 0 ? (size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)) : null;
    const load = src ? `y = ${src};` : `${address(m, size)} y = ${size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)'};`;
    return ok(`${load} x = ${regRead}; ${body}${writes ? ` ${regRead} = r;` : ''}`, src === null);
  }
  // ALU EAX, imm32 (05, 0D, 25, 2D, 35, 3D) and AL, imm8.
  if (op < 0x40 && ((op & 7) === 4 || (op & 7) === 5)) {
    const size = op & 1 ? 4 : 1;
    const body = aluCode(op >>> 3, size);
    if (!body) return null;
    const imm = size === 4 ? code.i32() : code.u8();
    const acc = size === 4 ? 'r32[0]' : 'r8[0]';
    return ok(`x = ${acc}; y = ${imm}; ${body}${op >>> 3 !== 7 ? ` ${acc} = r;` : ''}`, false);
  }
  switch (op) {
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      const r = op & 7;
      const dec = op >= 0x48;
      return ok(`${keepCarryCode()} x = r32[${r}]; r = (x ${dec ? '-' : '+'} 1) | 0; ${lazy(dec ? Lazy.Dec : Lazy.Inc, 'x', '1', 'r', 4)} r32[${r}] = r;`, false);
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
      const body = aluCode(m.reg, size);
      if (!body) return null;
      const addr = m.rmReg < 0 ? address(m, size) : '';
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
      const load = src ? `x = ${src};` : `${address(m, size)} x = ${size === 4 ? 'cpu.read32(a)' : 'cpu.read8(a)'};`;
      return ok(`${load} y = ${size === 4 ? `r32[${m.reg}]` : reg8(m.reg)}; ${aluCode(4, size)}`, src === null);
    }
    case 0xa8: return ok(`x = r8[0]; y = ${code.u8()}; ${aluCode(4, 1)}`, false);
    case 0xa9: return ok(`x = r32[0]; y = ${code.i32()}; ${aluCode(4, 4)}`, false);
    case 0x88: case 0x89: { // MOV r/m, reg
      const size = op === 0x89 ? 4 : 1;
      const m = decodeModRM(code, code.u8());
      const src = size === 4 ? `r32[${m.reg}]` : reg8(m.reg);
      if (m.rmReg >= 0) return ok(`${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)} = ${src};`, false);
      return ok(`${address(m, size)} cpu.write${size * 8}(a, ${src});`, true);
    }
    case 0x8a: case 0x8b: { // MOV reg, r/m
      const size = op === 0x8b ? 4 : 1;
      const m = decodeModRM(code, code.u8());
      const dst = size === 4 ? `r32[${m.reg}]` : reg8(m.reg);
      if (m.rmReg >= 0) return ok(`${dst} = ${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)};`, false);
      return ok(`${address(m, size)} ${dst} = cpu.read${size * 8}(a);`, true);
    }
    case 0x8d: { // LEA
      const m = decodeModRM(code, code.u8());
      if (m.rmReg >= 0) return null;
      return ok(`r32[${m.reg}] = ${m.offset};`, false);
    }
    case 0x90: return ok('', false);
    case 0x69: case 0x6b: { // IMUL r32, r/m32, imm
      const m = decodeModRM(code, code.u8());
      const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${address(m, 4)} x = cpu.read32(a);`;
      const imm = op === 0x69 ? code.i32() : code.s8();
      return multiply(ok(`${load} r32[${m.reg}] = h.imul32(cpu, x, ${imm});`, m.rmReg < 0));
    }
    case 0xc1: case 0xd1: { // shifts and rotates of a register by imm8 or 1 (RCL/RCR left to the interpreter)
      const m = decodeModRM(code, code.u8());
      if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
      const count = (op === 0xd1 ? 1 : code.u8()) & 31;
      if (count === 0) return ok('', false);
      // Only the inline shifts leave their result in r for a following Jcc.
      if (m.reg >= 4) producedFlags = { op: Lazy.Shift, size: 4 };
      return ok(shiftCode(m.reg, m.rmReg, String(count)), false);
    }
    case 0xd3: { // ... by CL
      const m = decodeModRM(code, code.u8());
      if (m.rmReg < 0 || m.reg === 2 || m.reg === 3) return null;
      // A zero count changes no flags, so what follows cannot assume the locals hold this instruction's.
      return ok(`y = r8[4] & 31; if (y !== 0) { ${shiftCode(m.reg, m.rmReg, 'y')} }`, false);
    }
    case 0xf7: { // group 3 on r/m32: TEST imm, NOT, NEG, MUL, IMUL, DIV, IDIV
      const m = decodeModRM(code, code.u8());
      const load = m.rmReg >= 0 ? `y = r32[${m.rmReg}];` : `${address(m, 4)} y = cpu.read32(a);`;
      const mem = m.rmReg < 0;
      switch (m.reg) {
        case 0: case 1: return ok(`${load} x = y; y = ${code.i32()}; ${aluCode(4, 4)}`, mem);
        case 2: return mem ? null : ok(`r32[${m.rmReg}] = ~r32[${m.rmReg}];`, false);
        case 3: return mem ? null : ok(`y = r32[${m.rmReg}]; r = -y | 0; ${lazy(Lazy.Sub, '0', 'y', 'r', 4)} r32[${m.rmReg}] = r;`, false);
        case 4: return multiply(ok(`${load} h.mul(cpu, 4, y);`, mem));
        case 5: return multiply(ok(`${load} h.imulOneOperand(cpu, 4, y);`, mem));
        case 6: return divide(ok(`${load} h.div(cpu, 4, y);`, true)); // #DE
        default: return divide(ok(`${load} h.idiv(cpu, 4, y);`, true));
      }
    }
    case 0xfe: { // INC/DEC r/m8
      const m = decodeModRM(code, code.u8());
      return m.reg <= 1 ? incDecCode(m, 1, m.reg === 1) : null;
    }
    case 0xf6: { // TEST r/m8, imm8 (group 3 /0; the rest are the interpreter's)
      const m = decodeModRM(code, code.u8());
      if (m.reg !== 0) return null;
      const load = m.rmReg >= 0 ? `x = ${reg8(m.rmReg)};` : `${address(m, 1)} x = cpu.read8(a);`;
      return ok(`${load} y = ${code.u8()}; ${aluCode(4, 1)}`, m.rmReg < 0);
    }
    case 0xa4: return ok(stringCode(true, 1), true);
    case 0xa5: return ok(stringCode(true, 4), true);
    case 0xaa: return ok(stringCode(false, 1), true);
    case 0xab: return ok(stringCode(false, 4), true);
    case 0xff: {
      const m = decodeModRM(code, code.u8());
      // Before `load`: address() counts the operand's cycles each time it is called.
      if (m.reg <= 1) return incDecCode(m, 4, m.reg === 1);
      const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${address(m, 4)} x = cpu.read32(a);`;
      switch (m.reg) {
        case 2: return branch({ code: `${load} cpu.push32(${next()}); cpu.eip = x;`, faults: true, ends: true }); // CALL r/m32
        case 4: return branch({ code: `${load} cpu.eip = x;`, faults: m.rmReg < 0, ends: true }); // JMP r/m32
        case 6: return ok(`${load} cpu.push32(x);`, true); // PUSH r/m32
        default: return null;
      }
    }
    case 0xc9: return ok('h.table[0xc9](cpu);', true); // LEAVE: the interpreter's handler reads no code bytes
    case 0x98: return ok('r32[0] = (r32[0] << 16) >> 16;', false); // CWDE
    case 0xc2: {
      const n = code.u16();
      return branch({ code: `x = cpu.pop32(); cpu.setSP(cpu.stack32 ? (r32[4] + ${n}) | 0 : (r16[8] + ${n}) & 0xffff); cpu.eip = x;`, faults: true, ends: true });
    }
    case 0x66: { // 16-bit moves of struct fields
      const op2 = code.u8();
      if (op2 !== 0x89 && op2 !== 0x8b && op2 !== 0xc7) return null;
      const m = decodeModRM(code, code.u8());
      if (op2 === 0xc7) {
        if (m.reg !== 0) return null;
        const addr = m.rmReg < 0 ? address(m, 2) : '';
        const imm = code.u16();
        if (m.rmReg >= 0) return ok(`r16[${m.rmReg << 1}] = ${imm};`, false);
        return ok(`${addr} cpu.write16(a, ${imm});`, true);
      }
      if (op2 === 0x89) {
        if (m.rmReg >= 0) return ok(`r16[${m.rmReg << 1}] = r16[${m.reg << 1}];`, false);
        return ok(`${address(m, 2)} cpu.write16(a, r16[${m.reg << 1}]);`, true);
      }
      if (m.rmReg >= 0) return ok(`r16[${m.reg << 1}] = r16[${m.rmReg << 1}];`, false);
      return ok(`${address(m, 2)} r16[${m.reg << 1}] = cpu.read16(a);`, true);
    }
    case 0x99: return ok('r32[2] = r32[0] >> 31;', false); // CDQ
    case 0xa1: { const off = code.i32(); return ok(`${address({ reg: 0, rmReg: -1, offset: String(off), seg: DS }, 4)} r32[0] = cpu.read32(a);`, true); }
    case 0xa3: { const off = code.i32(); return ok(`${address({ reg: 0, rmReg: -1, offset: String(off), seg: DS }, 4)} cpu.write32(a, r32[0]);`, true); }
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7:
      return ok(`${reg8(op & 7)} = ${code.u8()};`, false);
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf:
      return ok(`r32[${op & 7}] = ${code.i32()};`, false);
    case 0xc6: case 0xc7: { // MOV r/m, imm
      const size = op === 0xc7 ? 4 : 1;
      const m = decodeModRM(code, code.u8());
      if (m.reg !== 0) return null;
      const addr = m.rmReg < 0 ? address(m, size) : '';
      const imm = size === 4 ? code.i32() : code.u8();
      if (m.rmReg >= 0) return ok(`${size === 4 ? `r32[${m.rmReg}]` : reg8(m.rmReg)} = ${imm};`, false);
      return ok(`${addr} cpu.write${size * 8}(a, ${imm});`, true);
    }
    // Control transfers end the block; each sets cpu.eip to where execution continues.
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
      const d = code.s8();
      const n = next();
      return { code: conditionalJump(op & 0xf, (n + d) | 0, n), faults: false, ends: true, targets: [(n + d) | 0, n] };
    }
    case 0xeb: { const d = code.s8(); const t = (next() + d) | 0; return branch({ code: `cpu.eip = ${t};`, faults: false, ends: true, targets: [t] }); }
    case 0xe9: { const d = code.i32(); const t = (next() + d) | 0; return branch({ code: `cpu.eip = ${t};`, faults: false, ends: true, targets: [t] }); }
    case 0xe8: {
      const d = code.i32();
      const n = next();
      return branch({ code: `cpu.push32(${n}); cpu.eip = ${(n + d) | 0};`, faults: true, ends: true });
    }
    case 0xc3: return branch({ code: 'cpu.eip = cpu.pop32();', faults: true, ends: true });
    case 0x0f: return compileTwoByte(code, eip, startPos);
    default: return null;
  }
}

function compileTwoByte(code: CodeReader, eip: number, startPos: number): Compiled | null {
  const op = code.u8();
  const ok = (c: string, faults: boolean): Compiled => ({ code: c, faults, ends: false });
  if (op >= 0x80 && op <= 0x8f) { // Jcc rel32
    const d = code.i32();
    const n = (eip + (code.pos - startPos)) | 0;
    return { code: conditionalJump(op & 0xf, (n + d) | 0, n), faults: false, ends: true, targets: [(n + d) | 0, n] };
  }
  if (op >= 0x90 && op <= 0x9f) { // SETcc r/m8
    const cond = conditionCode(op & 0xf);
    const m = decodeModRM(code, code.u8());
    const v = `(${cond} ? 1 : 0)`;
    if (m.rmReg >= 0) return ok(`${reg8(m.rmReg)} = ${v};`, false);
    return ok(`${address(m, 1)} cpu.write8(a, ${v});`, true);
  }
  if (op >= 0x40 && op <= 0x4f) { // CMOVcc r32, r/m32: the source is read (and may fault) either way
    const cond = conditionCode(op & 0xf);
    const m = decodeModRM(code, code.u8());
    // The condition is evaluated before the load, which uses the local y the condition may need.
    const load = m.rmReg >= 0 ? `a = r32[${m.rmReg}];` : `${address(m, 4)} a = cpu.read32(a);`;
    return ok(`x = ${cond} ? 1 : 0; ${load} if (x === 1) r32[${m.reg}] = a;`, m.rmReg < 0);
  }
  switch (op) {
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: { // MOVZX/MOVSX r32, r/m8 or r/m16
      const m = decodeModRM(code, code.u8());
      const byte = op === 0xb6 || op === 0xbe;
      const signed = op >= 0xbe;
      let load: string;
      if (m.rmReg >= 0) load = `y = ${byte ? reg8(m.rmReg) : `r16[${m.rmReg << 1}]`};`;
      else load = `${address(m, byte ? 1 : 2)} y = cpu.read${byte ? 8 : 16}(a);`;
      const ext = signed ? (byte ? '(y << 24) >> 24' : '(y << 16) >> 16') : 'y';
      return ok(`${load} r32[${m.reg}] = ${ext};`, m.rmReg < 0);
    }
    case 0xaf: { // IMUL r32, r/m32
      const m = decodeModRM(code, code.u8());
      const load = m.rmReg >= 0 ? `x = r32[${m.rmReg}];` : `${address(m, 4)} x = cpu.read32(a);`;
      return multiply(ok(`${load} r32[${m.reg}] = h.imul32(cpu, r32[${m.reg}], x);`, m.rmReg < 0));
    }
    default:
      return null;
  }
}

/**
 * Compile the block at physical `phys` (EIP `eip`). Returns a block of
 * length 0 when the first instruction is not one the compiler knows.
 */
export function compileBlock(cpu: CPU, phys: number, eip: number): Block {
  producedFlags = null;
  // `phys` is the cache key, int32 like every TLB result; RAM is indexed from 0 up (see cpu.ts).
  const first = phys >>> 0;
  const pageEnd = first - (first & 0xfff) + 0x1000;
  const reader = new CodeReader(cpu.ram, first, pageEnd);
  const parts: string[] = [];
  /** Static cycles of the instructions before each one, and of all: what a fault at one, or the block's end, adds. */
  const cyclesBefore: number[] = [];
  let cycles = 0;
  let count = 0;
  let ended = false;
  let loops = false;
  while (count < MAX_INSTRUCTIONS) {
    const start = reader.pos;
    const at = (eip + (start - first)) | 0;
    let c: Compiled | null;
    previousFlags = producedFlags;
    producedFlags = null;
    staticCycles = 0;
    try {
      c = compileInstruction(reader, at, start);
    } catch (e) {
      if (e !== OUT_OF_PAGE) throw e;
      c = null;
    }
    if (!c) {
      reader.pos = start;
      break;
    }
    // `i` tells a fault handler how many instructions of the block retired; ip0 is where EIP goes back to.
    // After a write that dropped compiled code, the block leaves as a fault would, but past the writer.
    const next = (eip + (reader.pos - first)) | 0;
    const leave = !c.ends && WRITES.test(c.code) ? ` if (cpu.codeChanged) { i = ${count + 1}; cpu.ip0 = ${next}; throw h.LEAVE_BLOCK; }` : '';
    parts.push(`i = ${count};${c.faults ? ` cpu.ip0 = ${at};` : ''} ${c.code}${leave}`);
    cyclesBefore.push(cycles);
    cycles += staticCycles;
    count++;
    if (producedFlags === null && !TOUCHES_FLAGS_OR_OPERANDS.test(c.code)) producedFlags = previousFlags;
    if (c.ends) {
      ended = true;
      loops = c.targets?.includes(eip) ?? false;
      break;
    }
  }
  if (count === 0) return new Block(phys, eip, cpu.csBase, 0, NO_BLOCK.run);
  const end = ended ? '' : ` cpu.eip = ${(eip + (reader.pos - first)) | 0};`;
  // A loop that is one block runs inside the function, as long as each whole
  // iteration fits the budget: the dispatcher is the expensive part of a short loop.
  const body = inlineMemoryFastPaths(parts.join('\n      '));
  const source = `
    const r32 = cpu.r32, r16 = cpu.r16, r8 = cpu.r8, segBase = cpu.segBase, segCheck = cpu.segNeedsCheck;
    const tlb = cpu.tlbEntries, rm = cpu.readMask, wm = cpu.writeMask, ram = cpu.ram, ram32 = cpu.ram32;
    const flatStack = segCheck[${SS}] === 0 && cpu.stack32;
    let R = cpu.retired;
    let i = 0, a = 0, x = 0, y = 0, r = 0, s = 0, t = 0;
    try {
      ${loops ? `for (;;) {
      ${body}
      R += ${count}; cpu.extraCycles += ${cycles};
      if (cpu.eip !== ${eip} || R + ${count} > limit || cpu.stopRequested) break;
      }` : body}
    } catch (e) {
      cpu.retired = R + i;
      // The faulting instruction charged nothing: the run loop takes extraCycles back to this.
      cpu.extraCycles = cpu.extraCyclesAtStart = cpu.extraCycles + [${[...cyclesBefore, cycles].join(', ')}][i];
      throw e;
    }
    cpu.retired = ${loops ? 'R' : `R + ${count}`};${loops || cycles === 0 ? '' : ` cpu.extraCycles += ${cycles};`}${end}`;
  return new Block(phys, eip, cpu.csBase, count, functionFor(source));
}

type BlockFunction = (cpu: CPU, limit: number) => void;

/**
 * Functions already made, by their source. The source depends only on the
 * guest code and its EIP, never on the machine, so every machine in this
 * thread that runs the same kernel shares one function: V8 parses it once,
 * and its optimized code, not only its source, carries over from one test to
 * the next. Bounded: a thread grading many kernels starts over now and then.
 */
const functions = new Map<string, BlockFunction>();
const FUNCTIONS_KEPT = 20_000;

function functionFor(source: string): BlockFunction {
  let run = functions.get(source);
  if (run === undefined) {
    if (functions.size >= FUNCTIONS_KEPT) functions.clear();
    // The compiler's output stage: the block's code becomes a function V8 compiles like any other.
    // In parentheses, V8 compiles the inner function with the outer one (it would otherwise
    // pre-parse it now and parse it again at its first call, which is at once).
    run = new Function('h', `return (function block(cpu, limit) {${source}\n});`)(helpers) as BlockFunction;
    functions.set(source, run);
  }
  return run;
}
