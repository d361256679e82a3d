// The block compiler emits SHL/SAL, SHR and SAR of a 32-bit register inline,
// with a lazy-flag record of its own (CF and OF in EFLAGS, SF/ZF/PF from the
// result, AF = 0). Each form, over every count and a spread of operands, must
// leave the registers and all six status flags exactly as the interpreter does,
// and a zero CL count must leave the flags of the instruction before alone.

import { describe, expect, it } from 'vitest';
import { compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { Lazy } from '../../../engine/cpu/flags.ts';
import { CODE, makeCpu, statusFlags } from './harness.ts';

const OPERANDS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0xdeadbeef, 0x40000001, 0xaaaaaaaa];
const HLT = 0xf4; // not compiled: the block ends before it
/** ModRM /reg for group 2 on EBX (rm = 3). */
const modrm = (reg: number): number => 0xc0 | (reg << 3) | 3;
const FORMS: [string, number][] = [['shl', 4], ['shr', 5], ['sal', 6], ['sar', 7]];

interface After {
  ebx: number;
  eip: number;
  flags: number;
  retired: number;
}

/** A CPU holding `ebx` and `cl`, whose lazy flags are those of a SUB that produced a borrow and a sign. */
function prepared(code: number[], ebx: number, cl: number): CPU {
  const cpu = makeCpu();
  cpu.ram.set([...code, HLT], CODE);
  cpu.eip = CODE;
  cpu.r32[3] = ebx | 0;
  cpu.r32[1] = cl;
  cpu.setLazy(Lazy.Sub, 1, 2, -1, 4);
  return cpu;
}

function observe(cpu: CPU): After {
  const after = { ebx: cpu.r32[3] >>> 0, eip: cpu.eip, flags: statusFlags(cpu), retired: cpu.retired };
  // Hands the TLB to the next CPU: these tests make a thousand CPUs.
  cpu.tlb.release();
  return after;
}

function interpreted(code: number[], ebx: number, cl: number): After {
  const cpu = prepared(code, ebx, cl);
  step(cpu);
  return observe(cpu);
}

function compiled(code: number[], ebx: number, cl: number): After {
  const cpu = prepared(code, ebx, cl);
  const block = compileBlock(cpu, CODE, CODE);
  expect(block.length).toBe(1);
  block.run(cpu, 1_000_000);
  return observe(cpu);
}

describe('compiled register shifts match the interpreter', () => {
  for (const [name, reg] of FORMS) {
    it(`${name} ebx by 1 (D1), by every imm8 (C1) and by every CL (D3)`, () => {
      for (const v of OPERANDS) {
        const forms: [number[], number][] = [[[0xd1, modrm(reg)], 0]];
        for (let count = 0; count < 40; count++) forms.push([[0xc1, modrm(reg), count], 0], [[0xd3, modrm(reg)], count]);
        for (const [code, cl] of forms) {
          const what = `${code.map((b) => b.toString(16)).join(' ')} with ebx=${v.toString(16)} cl=${cl}`;
          expect(compiled(code, v, cl), what).toEqual(interpreted(code, v, cl));
        }
      }
    });
  }

  it('the flags a shift leaves are read correctly by what follows (JC, JO, SETcc through the lazy record)', () => {
    // shl ebx, 1; setc al; seto ah; sets dl; setp dh
    const code = [0xd1, modrm(4), 0x0f, 0x92, 0xc0, 0x0f, 0x90, 0xc4, 0x0f, 0x98, 0xc2, 0x0f, 0x9a, 0xc6];
    for (const v of OPERANDS) {
      const a = prepared(code, v, 0);
      for (let i = 0; i < 5; i++) step(a);
      const b = prepared(code, v, 0);
      compileBlock(b, CODE, CODE).run(b, 1_000_000);
      expect([b.r32[0] & 0xffff, b.r32[2] & 0xffff, b.eip], `ebx=${v.toString(16)}`).toEqual([a.r32[0] & 0xffff, a.r32[2] & 0xffff, a.eip]);
    }
  });
});
