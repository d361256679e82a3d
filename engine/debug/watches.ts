// Write watchpoints as the lab PC's debugger keeps them: a watched location
// has "changed" when its bytes, read through the current page tables, differ
// from the last look (or it became mapped or unmapped), so a write of the
// same value is no hit, as with gdb's software watchpoints.

import type { Machine } from '../machine.ts';

interface Watch {
  length: number;
  last: Uint8Array | null;
}

export class WatchSet {
  private readonly watches = new Map<number, Watch>();

  constructor(private readonly machine: Machine) {}

  get size(): number {
    return this.watches.size;
  }

  add(address: number, length: number): void {
    this.watches.set(address, { length, last: this.read(address, length) });
  }

  remove(address: number): void {
    this.watches.delete(address);
  }

  /** The address of a location whose bytes changed since the last look, now noted; undefined when none did. */
  changed(): number | undefined {
    for (const [address, w] of this.watches) {
      const now = this.read(address, w.length);
      if (!sameBytes(now, w.last)) {
        w.last = now;
        return address;
      }
    }
    return undefined;
  }

  /** Looks at every location afresh: the machine was moved to another point of its run. */
  rebase(): void {
    for (const [address, w] of this.watches) w.last = this.read(address, w.length);
  }

  /** The same locations, looked at now, for a search that must not disturb this set's last looks. */
  fork(): WatchSet {
    const copy = new WatchSet(this.machine);
    for (const [address, w] of this.watches) copy.add(address, w.length);
    return copy;
  }

  private read(address: number, length: number): Uint8Array | null {
    return this.machine.peekLinear(address | 0, length);
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
