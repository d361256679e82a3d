// Watchpoints as the lab PC's debugger keeps them. A write watchpoint
// (gdb's watch) hits when the location's bytes, read through the current
// page tables, differ from the last look (or it became mapped or unmapped),
// so a write of the same value is no hit, as with gdb's software
// watchpoints. Read and access watchpoints (rwatch, awatch) are kept by the
// CPU's memory path, which notes the accesses themselves (memory/access-watch.ts).

import type { Machine, WatchHit } from '../machine.ts';
import type { AccessWatchKind } from '../memory/access-watch.ts';

interface Watch {
  length: number;
  last: Uint8Array | null;
}

export class WatchSet {
  private readonly writes = new Map<number, Watch>();
  private readonly accesses = new Map<string, { address: number; length: number; kind: AccessWatchKind }>();

  constructor(private readonly machine: Machine) {}

  get size(): number {
    return this.writes.size + this.accesses.size;
  }

  add(address: number, length: number): void {
    this.writes.set(address, { length, last: this.read(address, length) });
  }

  remove(address: number): void {
    this.writes.delete(address);
  }

  addAccess(address: number, length: number, kind: AccessWatchKind): void {
    this.accesses.set(`${kind} ${address}`, { address, length, kind });
    this.machine.cpu.accessWatch.add(address, length, kind);
  }

  removeAccess(address: number, kind: AccessWatchKind): void {
    this.accesses.delete(`${kind} ${address}`);
    this.machine.cpu.accessWatch.remove(address, kind);
  }

  /** A location the last step read or wrote as a read or access watchpoint watches, or whose bytes changed since the last look (now noted). */
  changed(): WatchHit | undefined {
    const access = this.machine.cpu.accessWatch.take();
    if (access !== undefined) return access;
    for (const [address, w] of this.writes) {
      const now = this.read(address, w.length);
      if (!sameBytes(now, w.last)) {
        w.last = now;
        return { address, kind: 'write' };
      }
    }
    return undefined;
  }

  /** Looks at every location afresh: the machine was moved to another point of its run. */
  rebase(): void {
    this.machine.cpu.accessWatch.take();
    for (const [address, w] of this.writes) w.last = this.read(address, w.length);
  }

  /**
   * The same write watches, looked at now, for a search that must not
   * disturb this set's last looks; the read and access watches are the
   * CPU's, and shared.
   */
  fork(): WatchSet {
    const copy = new WatchSet(this.machine);
    for (const [address, w] of this.writes) copy.add(address, w.length);
    for (const [key, a] of this.accesses) copy.accesses.set(key, a);
    copy.rebase();
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
