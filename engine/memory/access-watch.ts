// Read and access watchpoints (gdb's rwatch and awatch, the Z3 and Z4
// packets): the debugger names linear ranges, and each instruction's data
// read (or read or write) that touches one is noted, as x86 debug registers
// would note it, with no cost to an unwatched access. A watched range's
// pages have TLB_WATCH in their TLB entries, which sends every access to the
// page down the slow path (CpuMemory.translate), where it is noted here.
// Instruction fetches and the CPU's own accesses to system structures (the
// GDT, the IDT, the TSS, an interrupt frame) are not data accesses of the
// program, and are not noted.

import type { Tlb } from './tlb.ts';

export type AccessWatchKind = 'read' | 'access';

export interface AccessHit {
  address: number;
  kind: AccessWatchKind;
}

interface Range {
  address: number;
  length: number;
  kind: AccessWatchKind;
}

export class AccessWatch {
  private ranges: Range[] = [];
  /** Linear page to the number of ranges on it. */
  private readonly pages = new Map<number, number>();
  /** The first watched access since the debugger last looked. */
  private hit: AccessHit | null = null;

  constructor(private readonly tlb: Tlb) {}

  /** True when a TLB entry for linear page `page` must carry TLB_WATCH. */
  watchesPage(page: number): boolean {
    return this.ranges.length > 0 && this.pages.has(page);
  }

  add(address: number, length: number, kind: AccessWatchKind): void {
    this.remove(address, kind);
    this.ranges.push({ address: address >>> 0, length, kind });
    for (const page of pagesOf(address, length)) {
      this.pages.set(page, (this.pages.get(page) ?? 0) + 1);
      this.tlb.markWatched(page, true);
    }
  }

  remove(address: number, kind: AccessWatchKind): void {
    const range = this.ranges.find((r) => r.address === address >>> 0 && r.kind === kind);
    if (range === undefined) return;
    this.ranges = this.ranges.filter((r) => r !== range);
    for (const page of pagesOf(range.address, range.length)) {
      const left = (this.pages.get(page) ?? 1) - 1;
      if (left > 0) this.pages.set(page, left);
      else {
        this.pages.delete(page);
        this.tlb.markWatched(page, false);
      }
    }
  }

  /** Marks every watched page's TLB entry again (after the TLB was restored from a snapshot). */
  markAll(): void {
    for (const page of this.pages.keys()) this.tlb.markWatched(page, true);
  }

  /** An instruction reads (or writes) the byte at `linear` on a watched page; true when a range takes it. */
  note(linear: number, write: boolean): boolean {
    const at = linear >>> 0;
    for (const r of this.ranges) {
      if (((at - r.address) >>> 0) >= r.length || (write && r.kind === 'read')) continue;
      this.hit ??= { address: r.address, kind: r.kind };
      return true;
    }
    return false;
  }

  /** The first watched access since the last call, and forget it. */
  take(): AccessHit | undefined {
    const hit = this.hit ?? undefined;
    this.hit = null;
    return hit;
  }
}

function pagesOf(address: number, length: number): number[] {
  const first = (address >>> 0) >>> 12;
  const last = ((address >>> 0) + Math.max(length, 1) - 1) >>> 12;
  return Array.from({ length: last - first + 1 }, (_, i) => (first + i) & 0xfffff);
}
