// Blocks made again on the next machine (`shapes` in
// engine/cpu/compile/block-compiler.ts): every test of a course boots the
// same kernel on a new machine, and a block is made from what the compiler
// made before wherever RAM holds the bytes it was made from, and compiled
// afresh wherever it does not, be it one byte.

import { describe, expect, it } from 'vitest';
import { blockShapes, compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import { CODE, makeCpu, runToBudget } from './harness.ts';

const HLT = 0xf4;
/** add eax, 5; add eax, 7; hlt: the block is the two ADDs, and the compiler read the HLT's byte to end it. */
const ADDS = [0x83, 0xc0, 0x05, 0x83, 0xc0, 0x07, HLT];

function machine(code: number[], elsewhere = 0): ReturnType<typeof makeCpu> {
  const cpu = makeCpu(1 << 16);
  cpu.ram.set(code, CODE);
  cpu.ram[CODE + 0x400] = elsewhere;
  cpu.eip = CODE;
  return cpu;
}

/** Compile the block at CODE on a new machine holding `code`; whether it was made from a shape made before. */
function compiled(code: number[], elsewhere = 0): { length: number; reused: boolean; eax: number } {
  const before = blockShapes.reused;
  const block = compileBlock(machine(code, elsewhere), CODE, CODE);
  const reused = blockShapes.reused > before;
  const outcome = runToBudget(machine(code, elsewhere), 100, true);
  return { length: block.length, reused, eax: outcome.registers[0]! };
}

describe('a block is made from a shape made before only where RAM holds the same bytes', () => {
  it('the same code on the next machine: made again from its shape, and runs the same', () => {
    compiled(ADDS);
    expect(compiled(ADDS)).toEqual({ length: 2, reused: true, eax: 12 });
    // A byte the compiler never read does not matter.
    expect(compiled(ADDS, 0x90)).toEqual({ length: 2, reused: true, eax: 12 });
  });

  it('one byte of an instruction changed: compiled afresh', () => {
    compiled(ADDS);
    const other = [...ADDS];
    other[5] = 0x09;
    expect(compiled(other)).toEqual({ length: 2, reused: false, eax: 14 });
  });

  it('the instruction that ended the block changed into one the compiler knows: compiled afresh, and longer', () => {
    compiled(ADDS);
    const longer = [...ADDS.slice(0, 6), 0x40, HLT]; // inc eax where the HLT was
    expect(compiled(longer)).toEqual({ length: 3, reused: false, eax: 13 });
  });
});
