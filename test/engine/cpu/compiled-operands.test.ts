// The block compiler decodes a memory operand once, when it compiles
// (compile/code-reader.ts); the interpreter decodes it as it fetches each
// time (decode.ts, eaOffset). Over every ModRM byte with a memory operand and,
// for those with a SIB byte, every SIB byte, both must read the same bytes
// and name the same offset and default segment, for registers and
// displacements that make any wrong term show.

import { describe, expect, it } from 'vitest';
import { CodeReader, decodeModRM, offsetSource } from '../../../engine/cpu/compile/code-reader.ts';
import { CODE, makeCpu } from './harness.ts';

/** Registers whose every sum and scaled sum differs, and that wrap past 2^32 when added. */
const REGISTERS = [0x10000001, 0x20000010, 0x40000100, 0x80001000, 0x00010000 | 0xe0000000, 0x01100000, 0x12000000, 0xf4000007].map((v) => v | 0);
/** Displacement bytes: a negative disp8 (0x88), and disp32 0x99aabb88 after it. */
const DISPLACEMENT = [0x88, 0xbb, 0xaa, 0x99, 0x55];

describe('memory operands: the compiler decodes what the interpreter decodes', () => {
  it('every ModRM (mod 0-2) and every SIB byte: the same bytes read, offset and default segment', () => {
    const cpu = makeCpu();
    cpu.r32.set(REGISTERS);
    const offsetOf = new Map<string, (r32: Int32Array) => number>();
    let checked = 0;
    for (let modrm = 0; modrm < 0xc0; modrm++) {
      const sibs = (modrm & 7) === 4 ? 256 : 1;
      for (let sib = 0; sib < sibs; sib++) {
        const bytes = (modrm & 7) === 4 ? [sib, ...DISPLACEMENT] : DISPLACEMENT;
        cpu.ram.set(bytes, CODE);
        cpu.eip = CODE;
        const offset = cpu.eaOffset(modrm);
        const interpreted = { offset, seg: cpu.eaSeg, length: cpu.eip - CODE };

        const reader = new CodeReader(cpu.ram, CODE, CODE + 0x1000);
        const m = decodeModRM(reader, modrm);
        const source = offsetSource(m);
        let evaluate = offsetOf.get(source);
        if (evaluate === undefined) {
          evaluate = new Function('r32', `return ${source};`) as (r32: Int32Array) => number;
          offsetOf.set(source, evaluate);
        }
        const compiled = { offset: evaluate(cpu.r32), seg: m.seg, length: reader.pos - CODE };
        if (JSON.stringify(compiled) !== JSON.stringify(interpreted)) {
          expect.fail(`ModRM ${modrm.toString(16)} SIB ${sib.toString(16)}: compiled ${JSON.stringify(compiled)} (${source}), interpreted ${JSON.stringify(interpreted)}`);
        }
        expect(m.rmReg).toBe(-1);
        expect(m.reg).toBe((modrm >>> 3) & 7);
        checked++;
      }
    }
    expect(checked).toBe(0xc0 - 24 + 24 * 256);
    cpu.tlb.release();
  });

  it('mod 3 names the register and reads nothing more', () => {
    for (let modrm = 0xc0; modrm <= 0xff; modrm++) {
      const reader = new CodeReader(new Uint8Array(16), 0, 16);
      const m = decodeModRM(reader, modrm);
      expect([m.rmReg, m.reg, reader.pos]).toEqual([modrm & 7, (modrm >>> 3) & 7, 0]);
    }
  });
});
