// arith-semantics.ts is the one text of the flag-producing arithmetic, run by
// the interpreter and written into compiled blocks. Its conditions read
// straight from an operation's operands are shortcuts: each must agree with
// the SDM's definition of the condition over the six status flags, for every
// operation, size and condition code, on edge and seeded random operands.
// And the compiler must not carry a second copy of any of it.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alu, conditionSource, incDec, neg } from '../../../engine/cpu/ops/arith-semantics.ts';
import { CF, Lazy, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { makeCpu } from './harness.ts';

/** SDM Vol. 1, Appendix B: each condition code over EFLAGS. */
function sdmCondition(cc: number, flags: number): boolean {
  const cf = (flags & CF) !== 0, zf = (flags & ZF) !== 0, sf = (flags & SF) !== 0, of = (flags & OF) !== 0, pf = (flags & PF) !== 0;
  const base = [of, cf, zf, cf || zf, sf, pf, sf !== of, zf || sf !== of][cc >>> 1]!;
  return cc & 1 ? !base : base;
}

/** A small deterministic generator (xorshift32), so every run tests the same operands. */
function operands(size: number, count: number): number[] {
  const mask = size === 4 ? -1 : (1 << (size * 8)) - 1;
  const sign = size === 4 ? 0x80000000 | 0 : 1 << (size * 8 - 1);
  const edges = [0, 1, 2, mask, (mask - 1) & mask, sign, (sign - 1) & mask, (sign + 1) & mask];
  let seed = 0x2545f491;
  const random: number[] = [];
  for (let i = 0; i < count; i++) {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    random.push(seed & mask);
  }
  return [...edges, ...random];
}

const SIZES = [1, 2, 4];

/** The lazy record each kind of operation leaves, made by the interpreter's own functions. */
const PRODUCERS: { name: string; op: Lazy; make: (cpu: CPU, x: number, y: number, size: number) => void }[] = [
  { name: 'ADD', op: Lazy.Add, make: (cpu, x, y, size) => { alu(cpu, 0, x, y, size); } },
  { name: 'OR', op: Lazy.Logic, make: (cpu, x, y, size) => { alu(cpu, 1, x, y, size); } },
  { name: 'ADC', op: Lazy.Adc, make: (cpu, x, y, size) => { alu(cpu, 2, x, y, size); } },
  { name: 'SBB', op: Lazy.Sbb, make: (cpu, x, y, size) => { alu(cpu, 3, x, y, size); } },
  { name: 'AND', op: Lazy.Logic, make: (cpu, x, y, size) => { alu(cpu, 4, x, y, size); } },
  { name: 'SUB', op: Lazy.Sub, make: (cpu, x, y, size) => { alu(cpu, 5, x, y, size); } },
  { name: 'XOR', op: Lazy.Logic, make: (cpu, x, y, size) => { alu(cpu, 6, x, y, size); } },
  { name: 'NEG', op: Lazy.Sub, make: (cpu, x, _y, size) => { neg(cpu, x, size); } },
  { name: 'INC', op: Lazy.Inc, make: (cpu, x, _y, size) => { incDec(cpu, x, false, size); } },
  { name: 'DEC', op: Lazy.Dec, make: (cpu, x, _y, size) => { incDec(cpu, x, true, size); } },
  // A compiled shift's record: CF and OF in EFLAGS, the result in the record.
  { name: 'shift', op: Lazy.Shift, make: (cpu, x, y, size) => {
    cpu.flags = (cpu.flags & ~(CF | OF)) | (y & 1 ? CF : 0) | (y & 2 ? OF : 0);
    cpu.setLazy(Lazy.Shift, 0, 0, x, size);
  } },
];

describe('conditions read from an operation\'s operands (arith-semantics.ts)', () => {
  for (const p of PRODUCERS) {
    it(`after ${p.name}, at every size: each known condition is the SDM's condition of the flags`, () => {
      const cpu = makeCpu();
      let checked = 0;
      for (const size of SIZES) {
        const known = Array.from({ length: 16 }, (_, cc) => conditionSource(p.op, size, cc));
        const shortcut = known.map((src) => (src === null ? null : new Function('cpu', 'x', 'y', 'r', `return ${src};`) as (cpu: CPU, x: number, y: number, r: number) => boolean));
        const values = operands(size, 40);
        for (const x of values) {
          for (const y of values) {
            for (const carryIn of [0, CF]) {
              cpu.setArithFlags(carryIn);
              p.make(cpu, x, y, size);
              expect(cpu.lzOp).toBe(p.op);
              const record = [cpu.lzA, cpu.lzB, cpu.lzR] as const;
              const flags = cpu.getFlags();
              for (let cc = 0; cc < 16; cc++) {
                const expected = sdmCondition(cc, flags);
                const read = shortcut[cc];
                if (read && read(cpu, ...record) !== expected) {
                  expect.fail(`${p.name} ${size * 8}-bit x=${x.toString(16)} y=${y.toString(16)} CF=${carryIn}: condition ${cc.toString(16)} (${known[cc]}) is ${!expected}, the flags ${flags.toString(16)} say ${expected}`);
                }
                // The interpreter's condition() answers from the same shortcuts where it can.
                if (cpu.condition(cc) !== expected) expect.fail(`${p.name} ${size * 8}-bit: cpu.condition(${cc}) disagrees with the flags`);
                checked++;
              }
            }
          }
        }
      }
      expect(checked).toBe(3 * 48 * 48 * 2 * 16);
      expect(SIZES.every((size) => conditionSource(p.op, size, 0x4) === 'r === 0')).toBe(true);
      cpu.tlb.release();
    });
  }

  it('CMP then Jcc has a shortcut for every condition but overflow and parity; logic ones for all but parity', () => {
    const without = (op: Lazy) => Array.from({ length: 16 }, (_, cc) => cc).filter((cc) => conditionSource(op, 4, cc) === null);
    expect(without(Lazy.Sub)).toEqual([0x0, 0x1, 0xa, 0xb]);
    expect(without(Lazy.Logic)).toEqual([0xa, 0xb]);
  });
});

describe('one text for arithmetic', () => {
  it('the block compiler writes no flag record or carry rule of its own: all of it comes from arith-semantics.ts', () => {
    const read = (file: string) => readFileSync(new URL(`../../../engine/cpu/${file}`, import.meta.url), 'utf8');
    const compiler = read('compile/instruction-compiler.ts');
    // The compiled forms, in the instruction families after their handlers.
    const families = readdirSync(new URL('../../../engine/cpu/ops/', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'arith-semantics.ts');
    const forms = families.map((f) => read(`ops/${f}`).split('// ---- compiled forms')[1] ?? '').filter((text) => text !== '');
    expect(forms.length).toBeGreaterThanOrEqual(8);
    for (const text of [compiler, ...forms]) {
      const code = text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      expect(code).not.toMatch(/cpu\.lz[A-Z]/);
      expect(code).not.toMatch(/Lazy\.(Add|Sub|Logic|Adc|Sbb)\b/);
      expect(code).not.toMatch(/[xy] [-+&|^] [xy]/); // an ALU result written out
    }
    expect(compiler).toMatch(/aluSource\(/);
  });
});
