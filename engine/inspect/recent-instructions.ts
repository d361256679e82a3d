// The instruction trace ring's entries as people read them: each with its
// bytes, read now from the code's linear address, and their disassembly.

import type { CPU } from '../cpu/cpu.ts';
import type { InstructionRing } from '../cpu/execute.ts';
import { disassemble } from './disassemble.ts';
import { peekLinear } from './guest-memory.ts';

export interface TracedInstruction {
  /** Retired-instruction count at which it started. */
  icount: number;
  cpl: number;
  eip: number;
  bytes: Uint8Array;
  text: string;
}

/** The ring's instructions, oldest first. */
export function ringInstructions(cpu: CPU, ring: InstructionRing): TracedInstruction[] {
  const out: TracedInstruction[] = [];
  for (let k = Math.max(0, ring.next - ring.mask - 1); k < ring.next; k++) {
    const slot = k & ring.mask; // the ring's arrays have mask + 1 entries
    const eip = ring.eip[slot]!;
    const bytes = peekLinear(cpu, (cpu.csBase + eip) | 0, 15) ?? new Uint8Array(0);
    const insn = bytes.length ? disassemble(bytes, eip) : { length: 0, text: '(not mapped)' };
    out.push({ icount: ring.icount[slot]!, cpl: ring.cpl[slot]!, eip: eip >>> 0, bytes: bytes.slice(0, insn.length), text: insn.text });
  }
  return out;
}
