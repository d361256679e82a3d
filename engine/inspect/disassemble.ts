// Disassembly for diagnostics and traces, by iced-x86 (loaded on first use so
// that runs which never print an instruction never pay for it).

import { createRequire } from 'node:module';

type Iced = typeof import('iced-x86');
let iced: Iced | null = null;

function load(): Iced {
  if (!iced) iced = createRequire(import.meta.url)('iced-x86') as Iced;
  return iced;
}

export interface DecodedInstruction {
  /** Length in bytes (1..15), or 0 when the bytes are not an instruction. */
  length: number;
  /** AT&T syntax, as gcc and objdump print it for these kernels. */
  text: string;
}

/** Disassemble the first 32-bit instruction in `bytes`, which sits at `address`. */
export function disassemble(bytes: Uint8Array, address: number): DecodedInstruction {
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = load();
  const decoder = new Decoder(32, bytes, DecoderOptions.None);
  decoder.ip = BigInt(address >>> 0);
  const formatter = new Formatter(FormatterSyntax.Gas);
  const insn = decoder.decode();
  try {
    if (insn.isInvalid) return { length: 0, text: '(bad)' };
    return { length: insn.length, text: formatter.format(insn) };
  } finally {
    insn.free();
    formatter.free();
    decoder.free();
  }
}
