// What `lab run --stats` says about a run beyond its speed: the modelled
// cycles (engine/cpu/cycle-model.ts) beside the instructions, split by ring
// and by address space (CR3), so that lab 6's question, where the cycles of
// a system call go, can be asked of any kernel.

import type { Counters } from '../../engine/machine.ts';
import { hexDigits } from '../../engine/hex.ts';

/** One line each: the cycle total, then each ring and each CR3 value that ran anything. */
export function statsLines(c: Counters): string[] {
  const perInstruction = c.instructions > 0 ? ` (${(c.cycles / c.instructions).toFixed(2)} per instruction)` : '';
  const lines = [`${c.cycles} cycles on the lab PC's cycle model${perInstruction}`];
  c.perCpl.forEach((instructions, ring) => {
    const cycles = c.cyclesPerCpl[ring] ?? 0;
    if (instructions > 0 || cycles > 0) lines.push(`ring ${ring}: ${instructions} instructions, ${cycles} cycles`);
  });
  for (const cr3 of [...c.cyclesPerCr3.keys()].sort((a, b) => a - b)) {
    const cycles = c.cyclesPerCr3.get(cr3)!;
    if (cycles > 0) lines.push(`CR3 ${hexDigits(cr3)}: ${c.perCr3.get(cr3) ?? 0} instructions, ${cycles} cycles`);
  }
  return lines;
}
