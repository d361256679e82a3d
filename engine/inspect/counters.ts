// How the instructions retired so far divide between privilege levels and
// address spaces: the CPU keeps the books closed at the last CPL or CR3
// change, and the share since then is added here.

import type { CPU } from '../cpu/cpu.ts';

export interface Counters {
  instructions: number;
  /** Instructions retired at each CPL, indexed 0..3. */
  perCpl: number[];
  /** Instructions retired under each CR3 value (a process's share when each process has its own page directory). */
  perCr3: Map<number, number>;
}

export function countersOf(cpu: CPU): Counters {
  const perCpl = Array.from(cpu.retiredPerCpl);
  perCpl[cpu.cpl]! += cpu.retired - cpu.cplSince;
  const perCr3 = new Map(cpu.retiredPerCr3);
  perCr3.set(cpu.cr3 >>> 0, (perCr3.get(cpu.cr3 >>> 0) ?? 0) + cpu.retired - cpu.cr3Since);
  return { instructions: cpu.retired, perCpl, perCr3 };
}
