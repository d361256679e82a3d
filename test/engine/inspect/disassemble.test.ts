// Disassembly runs iced-x86 on a thread of its own. On the caller's thread its
// WebAssembly memory, which grows on first use and so detaches an ArrayBuffer,
// would make V8 throw away the engine's optimized code and compile it again
// with a check on every typed-array access (see disassemble.ts): the thread
// that asks for a disassembly must never load iced-x86 itself.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { disassemble, startDisassembler } from '../../../engine/inspect/disassemble.ts';

const loadedHere = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('iced-x86'));

describe('disassembly', () => {
  // First, so that the thread is started ahead of any request, as the grader starts it, and warms up on its own.
  it('answers after the thread was started ahead, and startDisassembler may be called again', () => {
    startDisassembler();
    startDisassembler();
    expect(disassemble(new Uint8Array([0xcd, 0x80]), 0)).toEqual({ length: 2, text: 'int $0x80' });
  });

  it('gives AT&T text and the length, and an invalid encoding as (bad)', () => {
    expect(disassemble(new Uint8Array([0x0f, 0x01, 0x18]), 0x1000)).toEqual({ length: 3, text: 'lidt (%eax)' });
    expect(disassemble(new Uint8Array([0xe8, 0xfb, 0xff, 0xff, 0xff]), 0x1000)).toEqual({ length: 5, text: 'call 0x00001000' });
    expect(disassemble(new Uint8Array([0x0f, 0x0b]), 0)).toEqual({ length: 2, text: 'ud2' });
    expect(disassemble(new Uint8Array([0xf0, 0x90]), 0).text).toBe('(bad)');
  });

  it('never loads iced-x86 on the thread that asks', () => {
    disassemble(new Uint8Array([0x90]), 0);
    expect(loadedHere()).toEqual([]);
  });
});
