// A row of a schedule in coarse columns. A long run switches more often than
// a picture or a terminal line can show, so each column says which ring the
// row reached in it at all, ring 3 first: a process's few hundred user
// instructions among the kernel's thousands must not vanish, for then a
// process that ran would look as if it never had.

import type { ScheduleSpan } from '../model.ts';

type Ring = ScheduleSpan['ring'];

/** Which ring a column shows when the row was in several: the first of these. */
const PRECEDENCE: readonly Ring[] = ['user', 'kernel', 'idle'];

/** Column c covers [c * width, (c + 1) * width) of the axis: the ring the spans reached in it first by PRECEDENCE, undefined where none reaches. */
export function ringsByColumn(spans: readonly ScheduleSpan[], width: number, count: number): (Ring | undefined)[] {
  const seen = Array.from({ length: count }, () => new Set<Ring>());
  for (const s of spans) {
    const last = Math.min(count - 1, Math.ceil(s.to / width) - 1);
    for (let c = Math.max(0, Math.floor(s.from / width)); c <= last; c++) seen[c]!.add(s.ring);
  }
  return seen.map((rings) => PRECEDENCE.find((r) => rings.has(r)));
}
