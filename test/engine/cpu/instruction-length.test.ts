// SDM Vol. 2, 2.3.11: "The maximum length of an Intel 64 and IA-32
// instruction remains 15 bytes"; an instruction longer than that, prefixes
// included, raises #GP(0) and does nothing. QEMU agrees (privileged.c's
// len_* cases in system-vs-qemu.test.ts), and lets a page fault on the page
// holding the 16th byte win over the #GP.

import { describe, expect, it } from 'vitest';
import { BlockCache, CACHE_MASK } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { CODE, enablePaging, exec, makeCpu } from './harness.ts';

const DS = 0x3e; // a DS override changes nothing here: a prefix to pad with
const NOP = 0x90;
const INC_EAX = 0x40;
const SCRATCH = 0x4000;
/** ADD dword [ESI + EAX*4 + 0x00000000], 1 with a 32-bit displacement and immediate: 11 bytes, the longest form. */
const ADD_LONG = [0x81, 0x84, 0x86, 0, 0, 0, 0, 1, 0, 0, 0];

function padded(prefixes: number, insn: number[]): number[] {
  return [...new Array<number>(prefixes).fill(DS), ...insn];
}

const atScratch = (c: { r32: Int32Array }): void => { c.r32[6] = SCRATCH; };

describe('the 15-byte instruction limit', () => {
  it('runs an instruction of exactly 15 bytes (4 prefixes and the longest encoding)', () => {
    const { cpu, fault } = exec(padded(4, ADD_LONG), atScratch);
    expect(fault).toBeUndefined();
    expect(cpu.ram32[SCRATCH >>> 2]).toBe(1);
    expect(cpu.eip).toBe(CODE + 15);
  });

  it('raises #GP(0) for 16 bytes made of 5 prefixes and an 11-byte instruction, which does nothing', () => {
    const { cpu, fault } = exec(padded(5, ADD_LONG), atScratch);
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(fault?.detail).toMatch(/longer than 15 bytes/);
    expect(cpu.ram32[SCRATCH >>> 2]).toBe(0);
    expect(cpu.eip).toBe(CODE);
    expect(cpu.retired).toBe(0);
  });

  it('raises #GP(0) for 15 prefixes and a NOP', () => {
    const { cpu, fault } = exec(padded(15, [NOP]));
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(cpu.eip).toBe(CODE);
  });

  it('runs 14 prefixes and a NOP, and the next instruction at full speed again', () => {
    const { cpu, fault } = exec([...padded(14, [NOP]), INC_EAX]);
    expect(fault).toBeUndefined();
    expect(cpu.r32[0]).toBe(1);
    expect(cpu.retired).toBe(2);
    expect(cpu.fetchPage).toBe(CODE & ~0xfff);
  });

  it('lets a page fault on the page of the 16th byte win over the #GP', () => {
    // The instruction starts 15 bytes before a page that is not present.
    const start = CODE + 0x1000 - 15;
    const cpu = makeCpu();
    enablePaging(cpu, (pte) => { pte[(CODE >>> 12) + 1] = 0; });
    cpu.ram.set(padded(5, ADD_LONG).slice(0, 15), start);
    cpu.eip = start;
    cpu.r32[6] = SCRATCH;
    const fault = faultOf(() => runInstructions(cpu, 1));
    expect(fault).toMatchObject({ vector: Vector.PF });
    expect(cpu.cr2).toBe(CODE + 0x1000);
  });

  it('holds with compiled blocks: the block ends before the long instruction, which the interpreter refuses', () => {
    const cpu = makeCpu();
    const blocks = new BlockCache(cpu, 1);
    cpu.blocks = blocks;
    cpu.ram.set([INC_EAX, INC_EAX, ...padded(5, ADD_LONG)], CODE);
    cpu.eip = CODE;
    cpu.r32[6] = SCRATCH;
    const fault = faultOf(() => runInstructions(cpu, 100));
    expect(blocks.cache[CODE & CACHE_MASK]).toMatchObject({ eip: CODE, length: 2 });
    expect(fault).toMatchObject({ vector: Vector.GP, errorCode: 0 });
    expect(cpu.eip).toBe(CODE + 2);
    expect(cpu.r32[0]).toBe(2);
    expect(cpu.retired).toBe(2);
    expect(cpu.ram32[SCRATCH >>> 2]).toBe(0);
  });
});

function faultOf(run: () => void): CpuException | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof CpuException) return e;
    throw e;
  }
  return undefined;
}
