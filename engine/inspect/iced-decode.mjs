// One instruction through iced-x86, and the layout of the buffer the
// disassembler's thread shares with its callers: the one copy of both, for
// that thread (disassembler-thread.mjs) and for disassemble.ts, which decodes
// on its own thread when the helper cannot. Plain JavaScript, so that the
// thread imports it without the TypeScript machinery.

import { createRequire } from 'node:module';

/** The shared buffer: a state word, the request's size and address, the answer's sizes, then the bytes. */
export const HEADER_INTS = 5;
export const DATA_BYTES = 1024;
export const STATE = 0;
export const REQUEST_LENGTH = 1;
export const ADDRESS = 2;
export const INSTRUCTION_LENGTH = 3;
export const TEXT_LENGTH = 4;
/** The state word's values. */
export const IDLE = 0;
export const REQUEST = 1;
export const ANSWER = 2;
export const FAILED = 3;

/** Loads iced-x86 (it throws if the package is missing or its WebAssembly does not load). */
export function loadIced() {
  return createRequire(import.meta.url)('iced-x86');
}

/** The first 32-bit instruction in `bytes`, at `address`, in AT&T syntax; length 0 and '(bad)' when it is none. */
export function decodeOne(iced, bytes, address) {
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = iced;
  let decoder, formatter, insn;
  try {
    // No x86 instruction is longer than 15 bytes: the rest cannot change the answer.
    decoder = new Decoder(32, bytes.subarray(0, 15), DecoderOptions.None);
    decoder.ip = BigInt(address >>> 0);
    formatter = new Formatter(FormatterSyntax.Gas);
    insn = decoder.decode();
    if (insn.isInvalid) return { length: 0, text: '(bad)' };
    return { length: insn.length, text: formatter.format(insn) };
  } finally {
    insn?.free();
    formatter?.free();
    decoder?.free();
  }
}
