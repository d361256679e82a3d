// A page whose code keeps being rewritten soon after it is compiled is left
// to the interpreter (BlockCache, CHURN_STRIKES): a hostile kernel storing
// into the page it runs from must not make the engine compile the same
// block again and again. A page rewritten now and then is compiled again
// after each write, as before. Either way the run is the interpreter's.

import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';
import { CODE, makeCpu, outcomeOf, type Outcome } from './harness.ts';

/** 1000: mov byte [1800], 0x90 (its own page); dec ecx; jnz 1000; hlt. */
const CHURNING = [0xc6, 0x05, 0x00, 0x18, 0x00, 0x00, 0x90, 0x49, 0x75, 0xf6, 0xf4];

/**
 * 1000: mov ecx, 60000; 1005: dec ecx; jnz 1005 (120 000 instructions);
 * mov byte [1800], 0x90; dec edx; jnz 1000; hlt.
 */
const REWRITTEN_NOW_AND_THEN = [
  0xb9, 0x60, 0xea, 0x00, 0x00, 0x49, 0x75, 0xfd, 0xc6, 0x05, 0x00, 0x18, 0x00, 0x00, 0x90, 0x4a, 0x75, 0xee, 0xf4,
];

function run(code: number[], registers: Record<number, number>, compiled: boolean): { outcome: Outcome; compiledBlocks: number } {
  const cpu = makeCpu(1 << 16);
  cpu.ram.set(code, CODE);
  cpu.eip = CODE;
  for (const [r, v] of Object.entries(registers)) cpu.r32[Number(r)] = v;
  if (compiled) cpu.blocks = new BlockCache(cpu, 1);
  // A write that drops the running block asks the run loop to stop (as the machine does, go on from there).
  while (!cpu.halted && cpu.retired < 5_000_000) {
    cpu.stopRequested = false;
    runInstructions(cpu, 5_000_000);
  }
  const compiledBlocks = cpu.blocks?.compiled ?? 0;
  cpu.blocks?.release();
  return { outcome: outcomeOf(cpu, ''), compiledBlocks };
}

describe('code that rewrites its own page', () => {
  it('a loop storing into its page every iteration is compiled a few times, then interpreted', () => {
    const registers = { 1: 100_000 };
    const compiled = run(CHURNING, registers, true);
    expect(compiled.outcome).toEqual(run(CHURNING, registers, false).outcome);
    expect(compiled.outcome.retired).toBe(300_001);
    expect(compiled.compiledBlocks).toBeGreaterThan(0);
    // Four strikes, each after at most two blocks of the page (the loop, and the rest of it after a write left it).
    expect(compiled.compiledBlocks).toBeLessThanOrEqual(8);
  });

  it('a page rewritten every 120 000 instructions is compiled again after each write', () => {
    const registers = { 2: 10 };
    const compiled = run(REWRITTEN_NOW_AND_THEN, registers, true);
    expect(compiled.outcome).toEqual(run(REWRITTEN_NOW_AND_THEN, registers, false).outcome);
    expect(compiled.compiledBlocks).toBeGreaterThanOrEqual(10);
  });
});
