// Blocks that go on past a branch: a Jcc in the middle of a block leaves it
// when taken (a side exit) and goes on with the next instruction when not; a
// direct JMP or CALL to the same page goes on at its target, and the RET of
// a function so called goes on after the CALL, or leaves the block when it
// returns elsewhere. Whichever way the
// branches go, wherever a fault or the budget stops the run, the compiled run
// must leave exactly what the interpreter leaves: registers, EIP, EFLAGS,
// retired count, modelled cycles and memory.

import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';
import { CODE, makeCpu, runToBudget, type Outcome } from './harness.ts';

const HLT = 0xf4;
const DATA = 0x3000;

/**
 * 1000 cmp eax, ebx        1002 jne 1009 (side exit)   1004 add ecx, 7
 * 1007 jmp 1010 (goes on)  1009 sub ecx, 3             100c nop x4
 * 1010 add edx, ecx        1012 call 1020 (goes on)    1017 mov [ebx], edx
 * 1019 jl 101d             101b div esi                101d hlt
 * 1020 inc edx             1021 div edi                1023 ret
 */
const BRANCHY = new Map<number, number[]>([
  [0x1000, [0x39, 0xd8, 0x75, 0x05, 0x83, 0xc1, 0x07, 0xeb, 0x07, 0x83, 0xe9, 0x03, 0x90, 0x90, 0x90, 0x90]],
  [0x1010, [0x01, 0xca, 0xe8, 0x09, 0x00, 0x00, 0x00, 0x89, 0x13, 0x7c, 0x02, 0xf7, 0xf6, HLT]],
  [0x1020, [0x42, 0xf7, 0xf7, 0xc3]],
]);

/** BRANCHY with a function that returns past its caller's next instruction: 1021 add dword [esp], 2. */
const RETURNS_ELSEWHERE = new Map<number, number[]>([
  [0x1000, BRANCHY.get(0x1000)!],
  [0x1010, BRANCHY.get(0x1010)!],
  [0x1020, [0x42, 0x83, 0x04, 0x24, 0x02, 0xf7, 0xf7, 0xc3]],
]);

/**
 * A loop with an early exit, as gcc writes a search:
 * 1000 mov eax, [esi]   1002 test eax, eax   1004 je 100f (side exit)   1006 add edx, eax
 * 1008 add esi, 4       100b cmp esi, edi    100d jb 1000 (the loop)     100f hlt
 */
const SEARCH = new Map<number, number[]>([
  [0x1000, [0x8b, 0x06, 0x85, 0xc0, 0x74, 0x09, 0x01, 0xc2, 0x83, 0xc6, 0x04, 0x39, 0xfe, 0x72, 0xf1, HLT]],
]);

/**
 * A loop whose first branch is mostly taken (seven times in eight), which a
 * block compiled straight on leaves by a side exit after two instructions:
 * 1000 test esi, 7   1006 jne 100e (mostly taken)   1008 add edx, 5   100b nop x3
 * 100e add ecx, 1    1011 dec esi                    1012 jnz 1000      1014 hlt
 */
const MOSTLY_TAKEN = new Map<number, number[]>([
  [0x1000, [0xf7, 0xc6, 0x07, 0x00, 0x00, 0x00, 0x75, 0x06, 0x83, 0xc2, 0x05, 0x90, 0x90, 0x90, 0x83, 0xc1, 0x01, 0x4e, 0x75, 0xec, HLT]],
]);

/**
 * A block as long as blocks get (48 instructions), whose last is a Jcc:
 * 1000 inc ecx x46   102e cmp ecx, ebx   1030 jne 1034 (the 48th)   1032 inc edx x2   1034 hlt
 */
const JCC_LAST = new Map<number, number[]>([
  [0x1000, [...new Array<number>(46).fill(0x41), 0x39, 0xd9, 0x75, 0x02, 0x42, 0x42, HLT]],
]);

function prepare(code: Map<number, number[]>, registers: number[]): CPU {
  const cpu = makeCpu(1 << 16);
  for (const [at, bytes] of code) cpu.ram.set(bytes, at);
  for (let i = 0; i < 16; i++) cpu.ram32[(DATA >>> 2) + i] = i === 9 ? 0 : 100 + i;
  cpu.eip = CODE;
  registers.forEach((v, r) => { if (r !== 4) cpu.r32[r] = v; });
  return cpu;
}

/** Run `budget` instructions, compiled (a block cache compiling at first sight) or interpreted. */
function run(code: Map<number, number[]>, registers: number[], budget: number, compiled: boolean): Outcome {
  return runToBudget(prepare(code, registers), budget, compiled);
}

function expectSame(code: Map<number, number[]>, registers: number[], budget: number): Outcome {
  const interpreted = run(code, registers, budget, false);
  expect(run(code, registers, budget, true)).toEqual(interpreted);
  return interpreted;
}

describe('blocks that go on past branches do what the interpreter does', () => {
  it('the block at 1000 goes on past the Jcc, through the JMP, into the CALL and back from its RET, to the HLT', () => {
    expect(compileBlock(prepare(BRANCHY, []), CODE, CODE).length).toBe(12);
  });

  it('either way at the Jcc, a fault in the callee or after the return, a return where the block expects it or elsewhere, any budget', () => {
    // eax, ecx, edx, ebx, (esp), ebp, esi, edi
    const cases: [string, number[]][] = [
      ['jne not taken, no fault', [DATA, 0, 0, DATA, 0, 0, 0x7fffffff, 100]],
      ['jne taken, no fault', [5, 0, 10, DATA, 0, 0, 0x7fffffff, 100]],
      ['#DE in the callee, after the JMP and CALL the block went on through', [DATA, 0, 0, DATA, 0, 0, 0x7fffffff, 0]],
      ['#DE in the callee, entered after the side exit', [5, 0, 10, DATA + 4, 0, 0, 0x7fffffff, 0]],
      ['#DE after the return', [DATA, 0, 0, DATA, 0, 0, 0, 100]],
    ];
    for (const [what, registers] of cases) {
      for (const code of [BRANCHY, RETURNS_ELSEWHERE]) {
        const whole = expectSame(code, registers, 1000);
        expect(whole.fault === '', what).toBe(what.includes('no fault'));
        // Every budget up to the end: where a block no longer fits, the interpreter goes on.
        for (let budget = 1; budget <= whole.retired + 1; budget++) expectSame(code, registers, budget);
      }
    }
  });

  it('a Jcc that is the longest block\'s last instruction: taken, not taken, any budget', () => {
    expect(compileBlock(prepare(JCC_LAST, []), CODE, CODE).length).toBe(48);
    for (const ebx of [46, 0]) {
      const registers = [0, 0, 0, ebx, 0, 0, 0, 0];
      const whole = expectSame(JCC_LAST, registers, 1000);
      expect(whole.registers[2], ebx === 46 ? 'not taken' : 'taken').toBe(ebx === 46 ? 2 : 0);
      for (let budget = 1; budget <= whole.retired + 1; budget++) expectSame(JCC_LAST, registers, budget);
    }
  });

  it('a loop with an early exit: out by the exit, by the loop condition, and stopped by the budget in any iteration', () => {
    for (const end of [DATA + 4 * 16, DATA + 4 * 5]) {
      const registers = [0, 0, 0, 0, 0, 0, DATA, end];
      const whole = expectSame(SEARCH, registers, 1000);
      expect(whole.eip).toBe(0x1010); // past the HLT
      for (let budget = 1; budget <= whole.retired; budget++) expectSame(SEARCH, registers, budget);
    }
  });

  it('a branch the block mostly left by is followed once the block has seen it: the same run, fewer block entries', () => {
    // 320 iterations: the block at 1000 is entered 64 times (8 instructions each, or 2 when it left at the JNE), then compiled again.
    const registers = [0, 0, 0, 0, 0, 0, 320, 0];
    const cpu = prepare(MOSTLY_TAKEN, registers);
    const blocks = (cpu.blocks = new BlockCache(cpu, 1));
    runInstructions(cpu, 100_000);
    expect(cpu.halted).toBe(true);
    const block = blocks.cache[0x1000]!;
    expect(block.eip).toBe(0x1000);
    expect([...block.follows]).toEqual([0x1006]);
    // Through the JNE it reaches the JNZ back to its start: one loop, which leaves when the JNE is not taken.
    expect(block.run.toString()).toContain('for (;;)');
    blocks.release();
    // Whatever the budget, before the block was compiled again, after, and in the middle of an iteration.
    const whole = expectSame(MOSTLY_TAKEN, registers, 100_000);
    expect(whole.registers.slice(1, 3)).toEqual([320, 40 * 5]);
    for (let budget = 1; budget <= whole.retired + 1; budget += 7) expectSame(MOSTLY_TAKEN, registers, budget);
  });

  it('the next machine running the same code follows from its first compile the branches the last one learned to follow', () => {
    const registers = [0, 0, 0, 0, 0, 0, 320, 0];
    // One machine runs the loop to the end (the first test here may have taught this thread already).
    const first = prepare(MOSTLY_TAKEN, registers);
    first.blocks = new BlockCache(first, 1);
    runInstructions(first, 100_000);
    first.blocks.release();
    // The next compiles the block at 1000 at its first instruction, already going on through the JNE.
    const cpu = prepare(MOSTLY_TAKEN, registers);
    const blocks = (cpu.blocks = new BlockCache(cpu, 1));
    runInstructions(cpu, 1);
    expect(blocks.compiled).toBe(1);
    expect([...blocks.cache[0x1000]!.follows]).toEqual([0x1006]);
    blocks.release();
  });
});
