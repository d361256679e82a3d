// A grading thread makes hundreds of machines one after another, and each
// needs tens of MiB of zeroed memory (RAM, the TLB, the compiled-code cache).
// Allocating that afresh costs milliseconds per machine and makes V8 collect
// garbage often, so a released machine's large buffers wait here, cleaned, for
// the next machine of the same thread.

import { WrittenPages } from './written-pages.ts';

export class Spares<T> {
  private readonly kept: T[] = [];

  constructor(private readonly limit: number) {}

  get full(): boolean {
    return this.kept.length >= this.limit;
  }

  take(): T | undefined {
    return this.kept.pop();
  }

  /** `item` must already be in the state a new one would be in. */
  give(item: T): void {
    if (this.kept.length < this.limit) this.kept.push(item);
  }
}

/** Guest RAM and the record of which of its pages have been written. */
export interface GuestRam {
  bytes: Uint8Array;
  written: WrittenPages;
}

/** Zeroed RAM by size in bytes: a thread rarely runs machines of more than one or two sizes. */
const spareRam = new Map<number, Spares<GuestRam>>();

export function takeRam(bytes: number): GuestRam {
  return spareRam.get(bytes)?.take() ?? { bytes: new Uint8Array(bytes), written: new WrittenPages(bytes) };
}

/**
 * How many machines a thread releases together: a test's machine and the
 * replay its diagnosis may make beside it (Machine.recentInstructionsText).
 * The replay is released first, so the test's own memory is the last given
 * and the first taken: the next test runs on the same arrays, which is what
 * lets it reuse the compiled blocks bound to them (compile/block-compiler.ts).
 * With one spare, each failing test's replay left its memory to the next test
 * and every block was compiled again.
 */
export const MACHINES_RELEASED_TOGETHER = 2;

/** RAM this large keeps one spare only: two would hold too much memory idle. */
const LARGE_RAM_BYTES = 256 * 1024 * 1024;

/** Zeroes what was written of `ram` and keeps it for the next machine of its size. */
export function giveRam(ram: GuestRam): void {
  let spares = spareRam.get(ram.bytes.length);
  if (!spares) spareRam.set(ram.bytes.length, (spares = new Spares(ram.bytes.length > LARGE_RAM_BYTES ? 1 : MACHINES_RELEASED_TOGETHER)));
  if (spares.full) return;
  ram.written.zeroWritten(ram.bytes);
  spares.give(ram);
}
