// Compiled blocks take a memory operand through a flat segment (base 0,
// limit 4 GiB: no check needed) as its offset, without the limit check or
// the base. A block compiled so must never run once that segment register
// holds another segment: the run must then check and add the base exactly as
// the interpreter does.

import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { Seg } from '../../../engine/cpu/cpu.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { decodeDescriptor, loadSegmentCache } from '../../../engine/memory/segmentation.ts';
import { CODE, makeCpu } from './harness.ts';

// mov eax, [ebx]; jmp back to it: a block that loops in its function.
const LOOP = [0x8b, 0x03, 0xeb, 0xfc];
const DATA = 0x2000;

/** A present, writable, accessed ring-0 data segment (type 3), 32-bit. */
function dataSegment(base: number, limit: number, pages: boolean) {
  const low = ((base & 0xffff) << 16) | (limit & 0xffff);
  const high = (base & 0xff000000) | (pages ? 1 << 23 : 0) | (1 << 22) | (limit & 0xf0000) | (0x93 << 8) | ((base >>> 16) & 0xff);
  return decodeDescriptor(low | 0, high | 0, 0);
}

function machine(compiled: boolean): CPU {
  const cpu = makeCpu();
  cpu.ram.set(LOOP, CODE);
  cpu.ram32[DATA >>> 2] = 0x11223344;
  cpu.ram32[(DATA + 0x1000) >>> 2] = 0x55667788;
  cpu.eip = CODE;
  cpu.r32[3] = DATA;
  if (compiled) cpu.blocks = new BlockCache(cpu, 1);
  return cpu;
}

/** Run `count` more instructions: what EAX holds after, or the exception and where. */
function runOn(cpu: CPU, count: number): string {
  try {
    runInstructions(cpu, cpu.retired + count);
    return `eax=${(cpu.r32[0]! >>> 0).toString(16)} retired=${cpu.retired}`;
  } catch (e) {
    if (!(e instanceof CpuException)) throw e;
    return `vector ${e.vector} error ${e.errorCode} at ${cpu.eip.toString(16)} retired=${cpu.retired}`;
  }
}

/** The same story on a compiled and an interpreted CPU: flat DS first, then `then` loads DS. */
function story(then: (cpu: CPU) => void): { compiled: string[]; interpreted: string[]; blocks: BlockCache } {
  const run = (compiled: boolean) => {
    const cpu = machine(compiled);
    const seen = [runOn(cpu, 200)];
    then(cpu);
    seen.push(runOn(cpu, 200));
    return { seen, cpu };
  };
  const c = run(true);
  const i = run(false);
  const blocks = c.cpu.blocks!;
  return { compiled: c.seen, interpreted: i.seen, blocks };
}

describe('memory operands compiled as flat', () => {
  it('a limit set on DS afterwards is checked: #GP(0) at the load, as interpreted', () => {
    const { compiled, interpreted, blocks } = story((cpu) => loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0, 0xfff, false)));
    expect(compiled[0]).toBe('eax=11223344 retired=200');
    expect(blocks.compiled).toBeGreaterThan(0);
    expect(compiled[1]).toBe(`vector 13 error 0 at ${CODE.toString(16)} retired=200`);
    expect(compiled).toEqual(interpreted);
  });

  it('a base set on DS afterwards is added, as interpreted', () => {
    const { compiled, interpreted } = story((cpu) => loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0x1000, 0xfffff, true)));
    expect(compiled).toEqual(['eax=11223344 retired=200', 'eax=55667788 retired=400']);
    expect(compiled).toEqual(interpreted);
  });

  it('a null selector in DS afterwards faults, and DS is compiled with its check from then on', () => {
    const { compiled, interpreted, blocks } = story((cpu) => {
      loadSegmentCache(cpu, Seg.DS, 0, null);
    });
    expect(compiled[1]).toMatch(/^vector 13 error 0 at /);
    expect(compiled).toEqual(interpreted);
    // Flat again: the blocks compiled since check DS, and still read through it correctly.
    const cpu = machine(true);
    runOn(cpu, 200);
    loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0x1000, 0xfffff, true));
    runOn(cpu, 200);
    loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0, 0xfffff, true));
    expect(runOn(cpu, 200)).toBe('eax=11223344 retired=600');
    loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0x1000, 0xfffff, true));
    expect(runOn(cpu, 200)).toBe('eax=55667788 retired=800');
    expect(blocks.compiled).toBeGreaterThan(0);
  });

  it('a segment no block compiled as flat changes nothing compiled', () => {
    const cpu = machine(true);
    runOn(cpu, 200);
    const before = cpu.blocks!.invalidations;
    loadSegmentCache(cpu, Seg.FS, 0x10, dataSegment(0x1000, 0xfff, false));
    expect(runOn(cpu, 200)).toBe('eax=11223344 retired=400');
    expect(cpu.blocks!.invalidations).toBe(before);
  });

  it('MOVSB and STOSD take DS:ESI and ES:EDI as the interpreter does, before and after DS gets a base and ES a limit', () => {
    // movsb; stosd; jmp back: both string forms in a block that loops in its function.
    const run = (compiled: boolean) => {
      const cpu = makeCpu();
      cpu.ram.set([0xa4, 0xab, 0xeb, 0xfc], CODE);
      for (let i = 0; i < 0x800; i++) cpu.ram32[(DATA >>> 2) + i] = Math.imul(i, 0x9e3779b9);
      cpu.eip = CODE;
      cpu.r32[0] = 0x5a5a5a5a;
      cpu.r32[6] = DATA;
      cpu.r32[7] = DATA + 0x400;
      if (compiled) cpu.blocks = new BlockCache(cpu, 1);
      const seen = [runOn(cpu, 300)];
      loadSegmentCache(cpu, Seg.DS, 0x10, dataSegment(0x1000, 0xfffff, true));
      loadSegmentCache(cpu, Seg.ES, 0x18, dataSegment(0, DATA + 0x1000 - 1, false));
      seen.push(runOn(cpu, 3000));
      return { seen, registers: [...cpu.r32], memory: [...cpu.ram32.subarray(DATA >>> 2, (DATA >>> 2) + 0x800)], compiledBlocks: cpu.blocks?.compiled };
    };
    const compiled = run(true);
    const interpreted = run(false);
    expect(compiled.compiledBlocks).toBeGreaterThan(0);
    // STOSD runs into ES's new limit: #GP(0) at the STOSD.
    expect(compiled.seen[1]).toMatch(/^vector 13 error 0 at 1001 /);
    expect({ ...compiled, compiledBlocks: 0 }).toEqual({ ...interpreted, compiledBlocks: 0 });
  });
});
