// How the instructions retired and the modelled cycles (cpu/cycle-model.ts)
// spent so far divide between privilege levels and address spaces: the CPU
// keeps the books closed at the last CPL or CR3 change, and the share since
// then is added here.

import type { CPU } from '../cpu/cpu.ts';

export interface Counters {
  instructions: number;
  /** Instructions retired at each CPL, indexed 0..3. */
  perCpl: number[];
  /** Instructions retired under each CR3 value (a process's share when each process has its own page directory). */
  perCr3: Map<number, number>;
  /** Modelled cycles so far: what RDTSC counts, less the time HLT skipped and any offset WRMSR set. */
  cycles: number;
  /** Modelled cycles at each CPL, indexed 0..3; a privilege change counts for the ring it leaves. */
  cyclesPerCpl: number[];
  /** Modelled cycles under each CR3 value; a CR3 write counts for the address space it leaves. */
  cyclesPerCr3: Map<number, number>;
}

export function countersOf(cpu: CPU): Counters {
  const cycles = cpu.cycles();
  const cr3 = cpu.cr3 >>> 0;
  return {
    instructions: cpu.retired,
    perCpl: withOpenShare(Array.from(cpu.retiredPerCpl), cpu.cpl, cpu.retired - cpu.cplSince),
    perCr3: withOpenShare(new Map(cpu.retiredPerCr3), cr3, cpu.retired - cpu.cr3Since),
    cycles,
    cyclesPerCpl: withOpenShare(Array.from(cpu.cyclesPerCpl), cpu.cpl, cycles - cpu.cplCyclesSince),
    cyclesPerCr3: withOpenShare(new Map(cpu.cyclesPerCr3), cr3, cycles - cpu.cr3CyclesSince),
  };
}

/** `books` with `share` added to the entry of `key`: the books close only at the next change. */
function withOpenShare<B extends number[] | Map<number, number>>(books: B, key: number, share: number): B {
  if (Array.isArray(books)) books[key] = (books[key] ?? 0) + share;
  else books.set(key, (books.get(key) ?? 0) + share);
  return books;
}
