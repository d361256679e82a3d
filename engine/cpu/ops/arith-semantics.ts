// The one definition of the flag-producing arithmetic: the ALU operations,
// INC/DEC, NEG, the shifts SHL/SHR/SAR, and the conditions (Jcc, SETcc,
// CMOVcc, and the carry INC/DEC keep) that follow from the operands of a
// known operation.
//
// Each is written here once, as JavaScript source over named values (x and y
// the operands, r the result, f the flags a shift leaves in EFLAGS), because
// it runs two ways: the interpreter's functions below are built from this
// source when the module loads, and the block compiler writes the same source
// into a compiled block, where V8 then sees constants for the operation and
// size and folds the rest away. Calling a shared function from compiled code
// instead was measured: 10-20% slower on cpu-bound, as V8 stops inlining in
// a long block. So the two paths cannot drift apart: there is one text.

import type { CPU } from '../cpu.ts';
import { CF, Lazy, OF } from '../flags.ts';

export const enum AluOp { Add = 0, Or = 1, Adc = 2, Sbb = 3, And = 4, Sub = 5, Xor = 6, Cmp = 7 }

/** Masking to an operand size as source; 32-bit results are kept as int32, as in every register. */
const MASK_SOURCE = ['', ' & 0xff', ' & 0xffff', '', ' | 0'];
const SIGN_SOURCE = ['', '0x80', '0x8000', '', '0x80000000'];
const SIZES = [1, 2, 4];

/** The lazy record an operation leaves (see flags.ts); `a`, `b` and `r` are already masked to `size`. */
export function lazyRecordSource(op: Lazy, a: string, b: string, r: string, size: number): string {
  return `cpu.lzOp = ${op}; cpu.lzA = ${a}; cpu.lzB = ${b}; cpu.lzR = ${r}; cpu.lzSize = ${size};`;
}

/** The lazy record each ALU operation leaves (TEST leaves And's). */
export const ALU_LAZY: readonly Lazy[] = [Lazy.Add, Lazy.Logic, Lazy.Adc, Lazy.Sbb, Lazy.Logic, Lazy.Sub, Lazy.Logic, Lazy.Sub];

/**
 * `r = x op y` on `size`-byte operands (masked to size), and its lazy record.
 * ADC and SBB first store the carry they add in EFLAGS.CF, where their
 * record reads it back (flags.ts).
 */
export function aluSource(op: number, size: number): string {
  const mask = MASK_SOURCE[size]!;
  const record = lazyRecordSource(ALU_LAZY[op]!, 'x', 'y', 'r', size);
  switch (op) {
    case AluOp.Add: return `r = (x + y)${mask}; ${record}`;
    case AluOp.Or: return `r = (x | y)${mask}; ${record}`;
    case AluOp.Adc: return `cpu.keepCarry(); r = (x + y + (cpu.flags & ${CF}))${mask}; ${record}`;
    case AluOp.Sbb: return `cpu.keepCarry(); r = (x - y - (cpu.flags & ${CF}))${mask}; ${record}`;
    case AluOp.And: return `r = (x & y)${mask}; ${record}`;
    case AluOp.Xor: return `r = (x ^ y)${mask}; ${record}`;
    default: return `r = (x - y)${mask}; ${record}`; // SUB, CMP
  }
}

/** INC or DEC of x; CF must already be in EFLAGS (SDM: "The CF flag is not affected"), see keepCarry. */
export function incDecSource(dec: boolean, size: number): string {
  return `r = (x ${dec ? '-' : '+'} 1)${MASK_SOURCE[size]!}; ${lazyRecordSource(dec ? Lazy.Dec : Lazy.Inc, 'x', '1', 'r', size)}`;
}

/** NEG: 0 - x, with SUB's flags. */
export function negSource(size: number): string {
  return `r = -x${MASK_SOURCE[size]!}; ${lazyRecordSource(Lazy.Sub, '0', 'x', 'r', size)}`;
}

/** Group 2's /4../7 that are linear shifts (SAL is SHL). */
export function isLinearShift(op: number): boolean {
  return op >= 4;
}

/**
 * SHL/SAL (/4, /6), SHR (/5) or SAR (/7) of x by `count` (source, 1..31):
 * r, and in f the CF and OF bits the shift leaves in EFLAGS. CF is the last
 * bit shifted out; OF = MSB(x shifted by count-1) XOR MSB(r) for every count,
 * which is the SDM's definition for count 1 and QEMU's for the rest (the SDM
 * leaves it undefined there). SF, ZF and PF follow from r, and AF = 0.
 * Uses the local b for the value shifted by count-1.
 */
export function shiftSource(op: number, size: number, count: string): string {
  const top = size * 8 - 1;
  const mask = MASK_SOURCE[size]!;
  const spread = 32 - size * 8;
  const signed = spread === 0 ? 'x' : `((x << ${spread}) >> ${spread})`;
  let shifted: string;
  let carry: string;
  switch (op) {
    case 5:
      shifted = `b = x >>> (${count} - 1); r = (x >>> ${count})${mask};`;
      carry = 'b & 1';
      break;
    case 7:
      shifted = `b = ${signed} >> (${count} - 1); r = (${signed} >> ${count})${mask};`;
      carry = 'b & 1';
      break;
    default:
      shifted = `b = x << (${count} - 1); r = (x << ${count})${mask};`;
      carry = `(b >>> ${top}) & 1`;
  }
  return `${shifted} f = (${carry}) | ((((b ^ r) >>> ${top}) & 1) << ${Math.log2(OF)});`;
}

/**
 * A compiled shift's flags: CF and OF (f) into EFLAGS, and a record from
 * which SF, ZF and PF follow (AF = 0). The interpreter instead materializes
 * all six at once (ops/shift.ts), as it must wait for the store to succeed.
 */
export function shiftRecordSource(size: number): string {
  return `cpu.flags = (cpu.flags & ~${CF | OF}) | f; cpu.lzOp = ${Lazy.Shift}; cpu.lzR = r; cpu.lzSize = ${size};`;
}

/**
 * Condition `cc` (the low nibble of Jcc, SETcc, CMOVcc) as a JavaScript
 * boolean, straight from x, y and r when the last flag-producing operation
 * was `op` on `size` bytes; null where only the general evaluation of the
 * flags knows (state.ts, condition()). Each case is the SDM's condition
 * written for that operation's flags.
 */
export function conditionSource(op: Lazy, size: number, cc: number): string | null {
  if (op === Lazy.None) return null;
  const sign = SIGN_SOURCE[size]!;
  const negative = size === 4 ? 'r < 0' : `(r & ${sign}) !== 0`;
  const nonNegative = size === 4 ? 'r >= 0' : `(r & ${sign}) === 0`;
  // ZF and SF are the result's for every operation the record describes.
  switch (cc) {
    case 0x4: return 'r === 0';
    case 0x5: return 'r !== 0';
    case 0x8: return negative;
    case 0x9: return nonNegative;
  }
  const spread = 32 - size * 8;
  const signed = (v: string) => (spread === 0 ? v : `((${v} << ${spread}) >> ${spread})`);
  switch (op) {
    case Lazy.Sub:
      switch (cc) {
        case 0x2: return '(x >>> 0) < (y >>> 0)';
        case 0x3: return '(x >>> 0) >= (y >>> 0)';
        case 0x6: return '(x >>> 0) <= (y >>> 0)';
        case 0x7: return '(x >>> 0) > (y >>> 0)';
        case 0xc: return `${signed('x')} < ${signed('y')}`;
        case 0xd: return `${signed('x')} >= ${signed('y')}`;
        case 0xe: return `${signed('x')} <= ${signed('y')}`;
        case 0xf: return `${signed('x')} > ${signed('y')}`;
        default: return null;
      }
    case Lazy.Logic: // CF = OF = 0: "below" and "overflow" never hold, "less" is just the sign
      switch (cc) {
        case 0x0: case 0x2: return 'false';
        case 0x1: case 0x3: return 'true';
        case 0x6: return 'r === 0';
        case 0x7: return 'r !== 0';
        case 0xc: return negative;
        case 0xd: return nonNegative;
        case 0xe: return `r === 0 || ${negative}`;
        case 0xf: return `r !== 0 && ${nonNegative}`;
        default: return null;
      }
    case Lazy.Add: // a carry out of ADD leaves the result below either operand
      switch (cc) {
        case 0x2: return '(r >>> 0) < (x >>> 0)';
        case 0x3: return '(r >>> 0) >= (x >>> 0)';
        default: return null;
      }
    case Lazy.Inc: case Lazy.Dec: case Lazy.Shift: // CF is in EFLAGS already
      switch (cc) {
        case 0x2: return `(cpu.flags & ${CF}) !== 0`;
        case 0x3: return `(cpu.flags & ${CF}) === 0`;
        default: return null;
      }
    default:
      return null;
  }
}

// ---- the interpreter's functions, built from the source above ----------------

/** A function of `params` whose body switches over `cases` (a key expression and the source of each case). */
function built<F>(params: string[], key: string, cases: [number, string][], fallback: string): F {
  const body = cases.map(([k, code]) => `case ${k}: { ${code} }`).join('\n');
  const locals = ['r', 'b', 'f'].filter((name) => !params.includes(name)).map((name) => `${name} = 0`);
  return new Function(...params, `let ${locals.join(', ')};\nswitch (${key}) {\n${body}\n}\n${fallback}`) as F;
}

const everySize = (make: (size: number) => [number, string][]): [number, string][] => SIZES.flatMap(make);

/** Compute `x op y` on `size`-byte operands (already masked to size), set the flags; returns the masked result. */
export const alu: (cpu: CPU, op: number, x: number, y: number, size: number) => number = built(
  ['cpu', 'op', 'x', 'y', 'size'], '(op << 3) | size',
  everySize((size) => [0, 1, 2, 3, 4, 5, 6, 7].map((op) => [(op << 3) | size, `${aluSource(op, size)} return r;`])),
  'throw new RangeError(`alu: no operation ${op} of ${size} bytes`);');

/** INC and DEC of x, CF kept as it was. */
export const incDec: (cpu: CPU, x: number, dec: boolean, size: number) => number = built(
  ['cpu', 'x', 'dec', 'size'], '(dec ? 8 : 0) | size',
  everySize((size) => [false, true].map((dec) => [(dec ? 8 : 0) | size, `cpu.keepCarry(); ${incDecSource(dec, size)} return r;`])),
  'throw new RangeError(`incDec: no operand of ${size} bytes`);');

export const neg: (cpu: CPU, x: number, size: number) => number = built(
  ['cpu', 'x', 'size'], 'size',
  everySize((size) => [[size, `${negSource(size)} return r;`]]),
  'throw new RangeError(`neg: no operand of ${size} bytes`);');

/**
 * SHL/SAL, SHR or SAR (group 2 /4../7) of x by `count` (1..31): returns r,
 * and leaves the CF and OF bits it produces in `out.flags`.
 */
export const linearShift: (op: number, x: number, count: number, size: number, out: { flags: number }) => number = built(
  ['op', 'x', 'count', 'size', 'out'], '(op << 3) | size',
  everySize((size) => [4, 5, 6, 7].map((op) => [(op << 3) | size, `${shiftSource(op, size, 'count')} out.flags = f; return r;`])),
  'throw new RangeError(`linearShift: no shift /${op} of ${size} bytes`);');

/**
 * Condition `cc` after a record of `op` over x, y and r: 1 or 0 where
 * conditionSource knows it, -1 where the flags must be evaluated in full.
 */
export const knownCondition: (cpu: { flags: number }, op: number, size: number, cc: number, x: number, y: number, r: number) => number = built(
  ['cpu', 'op', 'size', 'cc', 'x', 'y', 'r'], '(op << 8) | (size << 4) | cc',
  [Lazy.Add, Lazy.Adc, Lazy.Sub, Lazy.Sbb, Lazy.Logic, Lazy.Inc, Lazy.Dec, Lazy.Shift, Lazy.Product].flatMap((op) =>
    everySize((size) => Array.from({ length: 16 }, (_, cc) => [cc, conditionSource(op, size, cc)] as const)
      .filter((c): c is readonly [number, string] => c[1] !== null)
      .map(([cc, cond]) => [(op << 8) | (size << 4) | cc, `return (${cond}) ? 1 : 0;`]))),
  'return -1;');
