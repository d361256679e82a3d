// What ran most in each cell of a schedule's axis. A long run switches more
// often than a picture can show, so the builder keeps, per cell, the row and
// ring that held the CPU longest; the terminal does the same per row to draw
// one character per column.

import type { ScheduleRow, ScheduleSpan } from '../model.ts';

/** The row (an index into the rows given) and ring that ran longest in a cell. */
export interface Cell {
  row: number;
  ring: ScheduleSpan['ring'];
}

/**
 * Cell c covers [c * width, (c + 1) * width) of the axis; undefined where no
 * span reaches. Ties go to the span met first, so the answer is the same on
 * every run.
 */
export function cellsOf(rows: readonly Pick<ScheduleRow, 'spans'>[], width: number, count: number): (Cell | undefined)[] {
  const held = Array.from({ length: count }, () => [] as { cell: Cell; time: number }[]);
  rows.forEach((row, r) => {
    for (const s of row.spans) {
      const first = Math.max(0, Math.floor(s.from / width));
      const last = Math.min(count - 1, Math.ceil(s.to / width) - 1);
      for (let c = first; c <= last; c++) {
        const overlap = Math.min(s.to, (c + 1) * width) - Math.max(s.from, c * width);
        if (overlap <= 0) continue;
        const seen = held[c]!.find((h) => h.cell.row === r && h.cell.ring === s.ring);
        if (seen) seen.time += overlap;
        else held[c]!.push({ cell: { row: r, ring: s.ring }, time: overlap });
      }
    }
  });
  return held.map((candidates) => {
    let best: { cell: Cell; time: number } | undefined;
    for (const h of candidates) if (best === undefined || h.time > best.time) best = h;
    return best?.cell;
  });
}
