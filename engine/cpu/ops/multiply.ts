// Multiply and divide (SDM Vol. 2: MUL, IMUL, DIV, IDIV).
//
// The group-3 forms (F6/F7 /4../7) are dispatched from arith.ts; the two- and
// three-operand IMUL encodings are registered here.
//
// Flags the SDM leaves undefined follow QEMU, so that runs compare equal with it:
// after a multiply SF, ZF and PF describe the low half of the product (what the
// destination holds) and AF is 0; DIV and IDIV leave every flag as it was.
//
// 32-bit operands make 64-bit products and dividends, beyond the 53 bits a
// double holds exactly, so those paths work in 16-bit pieces instead.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16 } from '../cpu.ts';
import { Vector } from '../exceptions.ts';
import { Lazy } from '../flags.ts';
import { lazyRecordSource } from './arith-semantics.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { decodeModRM } from '../compile/code-reader.ts';
import { beyondInstruction, CYCLES } from '../cycle-model.ts';

export const multiplyOpcodes = new OpcodeFamily('ops/multiply.ts');
const { def0F, def2, emit } = multiplyOpcodes;

// The instructions charge their cycles, not the helpers below, which the block compiler calls with its own count.
export function chargeMultiply(cpu: CPU): void {
  cpu.extraCycles += beyondInstruction(CYCLES.multiply);
}

export function chargeDivide(cpu: CPU): void {
  cpu.extraCycles += beyondInstruction(CYCLES.divide);
}

/** CF = OF = `overflow`; SF, ZF, PF from `low` (the product masked to `size`); AF = 0. */
function setProductFlags(cpu: CPU, low: number, size: number, overflow: boolean): void {
  cpu.setLazy(Lazy.Product, overflow ? 1 : 0, 0, low, size);
}

/** High 32 bits of the unsigned 64-bit product of two 32-bit values, from 16-bit partial products (each exact in a double). */
export function mulHighUnsigned(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16;
  const bLo = b & 0xffff, bHi = b >>> 16;
  const lo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  // Bits 16..31 of the product collect three partial sums; their carry reaches the high word.
  const carry = ((lo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) | 0;
}

/** High 32 bits of the signed 64-bit product of two int32 values. */
export function mulHighSigned(a: number, b: number): number {
  // A negative operand's unsigned reading is 2^32 too large, which adds the other
  // operand times 2^32 to the unsigned product: take it back out of the high word.
  let hi = mulHighUnsigned(a, b);
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return hi;
}

// ---- 32-bit products: one source for the interpreter and compiled blocks ----
//
// Compiled blocks write these out, and the interpreter's functions are built
// from the same text, as arith-semantics.ts does for ALU operations. The
// record is the one setProductFlags leaves, in the form flag-liveness.ts
// leaves out when a later instruction replaces it.

/**
 * r = the low half of x * y (int32 operands), `high` the code that leaves
 * the high half in b (the one-operand forms), `overflow` the condition for
 * CF and OF, over x, y, r and b.
 */
function productSource(high: string, overflow: string): string {
  return `r = Math.imul(x, y); ${high}${lazyRecordSource(Lazy.Product, `${overflow} ? 1 : 0`, '0', 'r', 4)}`;
}

/** MUL or IMUL r/m32 (one operand, in y): EDX:EAX = EAX * y, as mul32 and imul32OneOperand. */
export function wideProductSource(signed: boolean): string {
  const product = signed
    ? productSource('b = h.mulHighSigned(x, y | 0); ', 'b !== r >> 31')
    : productSource('b = h.mulHighUnsigned(x, y); ', 'b !== 0');
  return `x = r32[0]; ${product} r32[0] = r; r32[2] = b;`;
}

/**
 * IMUL with two or three operands: a product within int32 range is exact as
 * a double and equals its low half; one outside it cannot round back into
 * range, so the comparison is exact.
 */
const TRUNCATED_PRODUCT = productSource('', 'x * y !== r');

/** A product source as the interpreter's function of (cpu, x, y), returning r; helpers as compiled code has them. */
function interpreted(source: string): (cpu: CPU, x: number, y: number) => number {
  const make = new Function('h', `return function product(cpu, x, y) { const r32 = cpu.r32; let r = 0, b = 0; ${source} return r; };`);
  return make({ mulHighUnsigned, mulHighSigned }) as (cpu: CPU, x: number, y: number) => number;
}

const wide = (signed: boolean): ((cpu: CPU, src: number) => void) => {
  const product = interpreted(wideProductSource(signed));
  return (cpu, src) => { product(cpu, 0, src); };
};

/** MUL r/m32: EDX:EAX = EAX * src. */
export const mul32 = wide(false);
/** IMUL r/m32 (one operand): EDX:EAX = EAX * src, signed. */
export const imul32OneOperand = wide(true);
/** IMUL r32 with two or three operands: the low half of a * b. */
export const imul32: (cpu: CPU, a: number, b: number) => number = interpreted(TRUNCATED_PRODUCT);

// ---- MUL, IMUL with one operand: the accumulator times the operand, double width ----

export function mul(cpu: CPU, size: number, src: number): void {
  if (size === 1) {
    const p = cpu.r8[0] * src;
    cpu.r16[0] = p;
    setProductFlags(cpu, p & 0xff, 1, p > 0xff);
  } else if (size === 2) {
    const p = cpu.r16[0] * src;
    cpu.r16[0] = p & 0xffff;
    cpu.r16[Reg16.DX] = p >>> 16;
    setProductFlags(cpu, p & 0xffff, 2, p > 0xffff);
  } else {
    mul32(cpu, src);
  }
}

export function imulOneOperand(cpu: CPU, size: number, src: number): void {
  // SDM: CF = OF = 1 when the upper half holds significant bits, i.e. the
  // product is not the sign extension of its lower half.
  if (size === 1) {
    const p = ((cpu.r8[0] << 24) >> 24) * ((src << 24) >> 24);
    cpu.r16[0] = p;
    setProductFlags(cpu, p & 0xff, 1, ((p << 24) >> 24) !== p);
  } else if (size === 2) {
    const p = ((cpu.r16[0] << 16) >> 16) * ((src << 16) >> 16);
    cpu.r16[0] = p;
    cpu.r16[Reg16.DX] = p >> 16;
    setProductFlags(cpu, p & 0xffff, 2, ((p << 16) >> 16) !== p);
  } else {
    imul32OneOperand(cpu, src);
  }
}

// ---- IMUL with two and three operands: the product truncated to the destination ----

function imul16(cpu: CPU, a: number, b: number): number {
  const p = ((a << 16) >> 16) * ((b << 16) >> 16);
  const low = p & 0xffff;
  setProductFlags(cpu, low, 2, ((p << 16) >> 16) !== p);
  return low;
}

// 0F AF: IMUL Gv, Ev
def0F(0xaf,
  (cpu) => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    chargeMultiply(cpu);
    cpu.r32[reg] = imul32(cpu, cpu.r32[reg]!, cpu.readRM32(m));
  },
  (cpu) => {
    const m = cpu.fetch8();
    const reg = ((m >>> 3) & 7) << 1;
    chargeMultiply(cpu);
    cpu.r16[reg] = imul16(cpu, cpu.r16[reg]!, cpu.readRM16(m));
  });

// 69: IMUL Gv, Ev, Iz and 6B: IMUL Gv, Ev, Ib (sign-extended). The immediate
// follows any displacement, so the ModRM operand is read first.
function imulImmediate32(signExtendedByte: boolean) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    chargeMultiply(cpu);
    const src = cpu.readRM32(m);
    const imm = signExtendedByte ? cpu.fetchS8() : cpu.fetch32();
    cpu.r32[(m >>> 3) & 7] = imul32(cpu, src, imm);
  };
}

function imulImmediate16(signExtendedByte: boolean) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    chargeMultiply(cpu);
    const src = cpu.readRM16(m);
    const imm = signExtendedByte ? cpu.fetchS8() : cpu.fetch16();
    cpu.r16[((m >>> 3) & 7) << 1] = imul16(cpu, src, imm);
  };
}

def2(0x69, imulImmediate32(false), imulImmediate16(false));
def2(0x6b, imulImmediate32(true), imulImmediate16(true));

// ---- DIV, IDIV ------------------------------------------------------------------
//
// Every check comes before any register is written: #DE is a fault, so the
// instruction must leave no trace when it is raised (SDM Vol. 3, 6.15, interrupt 0).
// Unsigned quotients of dividends below 2^48 are computed as Math.floor(n / d),
// and remainders as n - q * d. The rounded n / d never reaches the next
// integer: that would take an error of at least 1/d, and the error is at most
// q * 2^-53 with q * d <= n < 2^53. Both steps are exact, and much cheaper
// than `%` on doubles (uint32 operands are not int32, so V8 calls fmod).

/** Results of divide64 and divideSmall, kept in module variables so a divide allocates nothing. */
const INT32_MIN = -0x80000000;

let quotient = 0;
let remainder = 0;

/**
 * Unsigned (hi * 2^32 + lo) / d, for d < 2^32 and hi < d (so the quotient fits in 32 bits).
 * Long division in two 16-bit steps keeps every partial dividend below 2^48, exact in a double.
 */
function divide64(hi: number, lo: number, d: number): void {
  let n = hi * 0x10000 + (lo >>> 16);
  const qHi = Math.floor(n / d);
  n = (n - qHi * d) * 0x10000 + (lo & 0xffff);
  const qLo = Math.floor(n / d);
  quotient = qHi * 0x10000 + qLo;
  remainder = n - qLo * d;
}

export function div(cpu: CPU, size: number, src: number): void {
  if (size === 4) {
    div32(cpu, src);
    return;
  }
  if (src === 0) cpu.fault(Vector.DE, -1, 'DIV by zero');
  if (size === 1) {
    divideSmall(cpu, cpu.r16[0], src, 0, 0xff, 'DIV quotient does not fit in AL');
    cpu.r16[0] = quotient | (remainder << 8);
  } else {
    divideSmall(cpu, cpu.r16[Reg16.DX] * 0x10000 + cpu.r16[0], src, 0, 0xffff, 'DIV quotient does not fit in AX');
    cpu.r16[0] = quotient;
    cpu.r16[Reg16.DX] = remainder;
  }
}

/**
 * n / d truncated toward zero, for a dividend of at most 32 bits, into
 * `quotient` and `remainder`; #DE when the quotient is outside min..max.
 */
function divideSmall(cpu: CPU, n: number, d: number, min: number, max: number, overflow: string): void {
  remainder = n % d;
  quotient = (n - remainder) / d;
  if (quotient < min || quotient > max) cpu.fault(Vector.DE, -1, overflow);
}

// DIV and IDIV of EDX:EAX by a dword are each a small function for the common
// case (what compilers emit: EDX zeroed, or EAX sign-extended by CDQ), which
// V8 inlines into a compiled block, and a larger one for the rest, which it
// calls. Compiled code calls these directly (h.div32, h.idiv32).

/** DIV r/m32. */
export function div32(cpu: CPU, src: number): void {
  const d = src >>> 0;
  if (cpu.r32[Reg.EDX] === 0 && d !== 0) {
    // Math.floor(lo / d) is exact: lo and d are below 2^32, and a double's
    // quotient rounds to the integer below the true one only when that is it.
    const lo = cpu.r32[Reg.EAX] >>> 0;
    const q = Math.floor(lo / d);
    cpu.r32[Reg.EAX] = q;
    cpu.r32[Reg.EDX] = lo - q * d;
    return;
  }
  div32Wide(cpu, d);
}

function div32Wide(cpu: CPU, d: number): void {
  if (d === 0) cpu.fault(Vector.DE, -1, 'DIV by zero');
  const hi = cpu.r32[Reg.EDX] >>> 0;
  const lo = cpu.r32[Reg.EAX] >>> 0;
  // EDX >= divisor means a quotient of 2^32 or more.
  if (hi >= d) cpu.fault(Vector.DE, -1, 'DIV quotient does not fit in EAX');
  divide64(hi, lo, d);
  cpu.r32[Reg.EAX] = quotient;
  cpu.r32[Reg.EDX] = remainder;
}

// IDIV truncates toward zero and the remainder takes the dividend's sign (SDM:
// "the sign of the remainder is always the same as the sign of the dividend"),
// which is what JavaScript's `%` does.
export function idiv(cpu: CPU, size: number, src: number): void {
  if (size === 4) {
    idiv32(cpu, src);
    return;
  }
  if (src === 0) cpu.fault(Vector.DE, -1, 'IDIV by zero');
  if (size === 1) {
    divideSmall(cpu, (cpu.r16[0] << 16) >> 16, (src << 24) >> 24, -0x80, 0x7f, 'IDIV quotient does not fit in AL');
    cpu.r16[0] = (quotient & 0xff) | ((remainder & 0xff) << 8);
  } else {
    divideSmall(cpu, (cpu.r16[Reg16.DX] << 16) | cpu.r16[0], (src << 16) >> 16, -0x8000, 0x7fff, 'IDIV quotient does not fit in AX');
    cpu.r16[0] = quotient;
    cpu.r16[Reg16.DX] = remainder;
  }
}

/** IDIV r/m32. */
export function idiv32(cpu: CPU, src: number): void {
  const d = src | 0;
  const lo = cpu.r32[Reg.EAX];
  // EDX:EAX is EAX sign-extended, and the quotient fits: only -2^31 / -1 does not.
  if (cpu.r32[Reg.EDX] === lo >> 31 && d !== 0 && (d !== -1 || lo !== INT32_MIN)) {
    // Math.trunc(lo / d) is exact as Math.floor is in div32; `%` would give -0
    // for a negative dividend with no remainder, which sends V8 to fmod.
    const q = Math.trunc(lo / d);
    cpu.r32[Reg.EAX] = q;
    cpu.r32[Reg.EDX] = lo - q * d;
    return;
  }
  idiv32Wide(cpu, d);
}

function idiv32Wide(cpu: CPU, d: number): void {
  if (d === 0) cpu.fault(Vector.DE, -1, 'IDIV by zero');
  const hi = cpu.r32[Reg.EDX];
  const lo = cpu.r32[Reg.EAX];
  if (hi === lo >> 31) cpu.fault(Vector.DE, -1, 'IDIV quotient does not fit in EAX'); // -2^31 / -1
  // Divide magnitudes, then apply signs. Negating the 64-bit dividend carries
  // into the high half only when the low half is 0.
  const negative = hi < 0;
  const loAbs = negative ? -lo >>> 0 : lo >>> 0;
  const hiAbs = negative ? (~hi + (lo === 0 ? 1 : 0)) >>> 0 : hi >>> 0;
  const dAbs = Math.abs(d);
  if (hiAbs >= dAbs) cpu.fault(Vector.DE, -1, 'IDIV quotient does not fit in EAX');
  divide64(hiAbs, loAbs, dAbs);
  const quotientNegative = negative !== (d < 0);
  // The signed range is -2^31..2^31-1: one more on the negative side.
  if (quotient > (quotientNegative ? 0x80000000 : 0x7fffffff)) {
    cpu.fault(Vector.DE, -1, 'IDIV quotient does not fit in EAX');
  }
  cpu.r32[Reg.EAX] = quotientNegative ? -quotient : quotient;
  cpu.r32[Reg.EDX] = negative ? -remainder : remainder;
}

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

// IMUL r32, r/m32, imm32 or imm8.
emit([0x69, 0x6b], (c, code, op) => {
  const m = decodeModRM(code, code.u8());
  const load = c.loadRm(m, 4, 'x');
  const imm = op === 0x69 ? code.i32() : code.s8();
  return c.multiply(c.straight(`${load} y = ${imm}; ${TRUNCATED_PRODUCT} r32[${m.reg}] = r;`));
});

// IMUL r32, r/m32.
emit(0xaf, (c, code) => {
  const m = decodeModRM(code, code.u8());
  return c.multiply(c.straight(`${c.loadRm(m, 4, 'y')} x = r32[${m.reg}]; ${TRUNCATED_PRODUCT} r32[${m.reg}] = r;`));
}, '0F');
