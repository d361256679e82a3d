// The translation lookaside buffer, as typed arrays indexed by linear page number.
//
// An entry holds (physical page XOR linear page) in its top 20 bits, so that
// `(entry & ~0xfff) ^ linear` is the physical address, and permission bits in
// its low 12. A bit set means "the fast path must not do this": the access
// goes to the page walker, which either faults or refills the entry. Like a
// real TLB, entries survive page-table edits until INVLPG or a CR3 write.

import { MACHINES_RELEASED_TOGETHER, Spares } from './spares.ts';

export const TLB_VALID = 1 << 0;
/** U/S is 0 in the directory or the table: ring 3 may not touch the page. */
export const TLB_NO_USER = 1 << 1;
/** A supervisor write must walk: the page is read-only under CR0.WP, or its dirty bit is still clear. */
export const TLB_NO_WRITE_SUPERVISOR = 1 << 2;
/** A user write must walk: read-only page, or dirty bit still clear. */
export const TLB_NO_WRITE_USER = 1 << 3;
/** No RAM behind the page: accesses go through the slow path, which reads all ones and drops writes. */
export const TLB_NOT_RAM = 1 << 4;
/** The page's G bit was set with CR4.PGE: a CR3 write keeps it. */
export const TLB_GLOBAL = 1 << 5;
/**
 * The physical page holds compiled code: writes take the slow path, which
 * throws the code away, but keep this entry's translation. The bit is the
 * code cache's, not the guest's: setting and clearing it never changes what
 * the TLB translates, so a kernel's missing INVLPG shows the same with the
 * compiler on or off.
 */
export const TLB_CODE = 1 << 6;
/**
 * A debugger watches reads or accesses on the linear page: every access takes
 * the slow path, which tells the watch (memory/access-watch.ts) and then uses
 * this entry's translation as it stands. Like TLB_CODE, the debugger's bit,
 * never the guest's: a stale translation stays stale.
 */
export const TLB_WATCH = 1 << 7;

/** Entry bits that must be clear (besides VALID set) for a supervisor read, and for a supervisor write. */
export const READ_SUPERVISOR = TLB_VALID | TLB_NOT_RAM | TLB_WATCH;
const READ_USER = READ_SUPERVISOR | TLB_NO_USER;
export const WRITE_SUPERVISOR = READ_SUPERVISOR | TLB_NO_WRITE_SUPERVISOR | TLB_CODE;
const WRITE_USER = READ_USER | TLB_NO_WRITE_USER | TLB_CODE;

/** A TLB's entries in a machine snapshot (Tlb.save). */
export interface TlbCopy {
  readonly pages: Int32Array;
  readonly entries: Int32Array;
}

const spareTlbs = new Spares<Tlb>(MACHINES_RELEASED_TOGETHER);

export class Tlb {
  /** By linear page number (`linear >>> 12`), which is always below its length: readers assert the entry with `!`. */
  readonly entries = new Int32Array(1 << 20);
  /**
   * Pages that got an entry since the last flush, so a flush touches only
   * those. A page can be listed twice (INVLPG, then a refill); when the list
   * is full, everything is dropped, as a real TLB may drop entries any time.
   */
  private readonly live = new Int32Array(1 << 20);
  private liveCount = 0;

  /** An empty TLB, a released one if this thread has one. */
  static take(): Tlb {
    return spareTlbs.take() ?? new Tlb();
  }

  /** Empties this TLB for the next machine; its owner must not use it any more. */
  release(): void {
    this.flush(false);
    spareTlbs.give(this);
  }

  masksFor(user: boolean): { read: number; write: number } {
    return user ? { read: READ_USER, write: WRITE_USER } : { read: READ_SUPERVISOR, write: WRITE_SUPERVISOR };
  }

  fill(linear: number, physical: number, bits: number): void {
    const page = linear >>> 12;
    if (this.entries[page] === 0) {
      if (this.liveCount === this.live.length) this.dropAll();
      this.live[this.liveCount++] = page;
    }
    this.entries[page] = ((physical ^ linear) & ~0xfff) | bits | TLB_VALID;
  }

  /** Marks (or unmarks) every entry that translates to physical page `physPage` as holding compiled code. */
  markCode(physPage: number, code: boolean): void {
    for (let i = 0; i < this.liveCount; i++) {
      const page = this.live[i]!;
      const e = this.entries[page]!;
      if (e === 0 || (((e & ~0xfff) ^ (page << 12)) >>> 12) !== physPage) continue;
      this.entries[page] = code ? e | TLB_CODE : e & ~TLB_CODE;
    }
  }

  /** Marks (or unmarks) the entry of linear page `page`, if it has one, as watched by a debugger. */
  markWatched(page: number, watched: boolean): void {
    const e = this.entries[page]!;
    if (e !== 0) this.entries[page] = watched ? e | TLB_WATCH : e & ~TLB_WATCH;
  }

  /** INVLPG: forget one page, global or not. */
  invalidate(linear: number): void {
    this.entries[linear >>> 12] = 0;
  }

  /**
   * The cached translations, for a machine snapshot: the TLB is guest-visible
   * (a kernel that forgets INVLPG sees the stale entry), so a restored machine
   * must hold the same entries, not a flushed TLB.
   */
  save(): TlbCopy {
    const pages = this.live.slice(0, this.liveCount);
    return { pages, entries: pages.map((page) => this.entries[page]!) };
  }

  /**
   * Holds exactly the entries of `copy` again. Their code and watch marks are
   * dropped: the code cache starts empty after a restore, and the debugger's
   * watches are those of now, which mark their pages again (AccessWatch.markAll).
   */
  restore(copy: TlbCopy): void {
    this.flush(false);
    copy.pages.forEach((page, i) => {
      this.entries[page] = copy.entries[i]! & ~(TLB_CODE | TLB_WATCH);
    });
    this.live.set(copy.pages);
    this.liveCount = copy.pages.length;
  }

  private dropAll(): void {
    this.entries.fill(0);
    this.liveCount = 0;
  }

  flush(keepGlobal: boolean): void {
    let kept = 0;
    for (let i = 0; i < this.liveCount; i++) {
      const page = this.live[i]!;
      const e = this.entries[page]!;
      if (e === 0) continue;
      if (keepGlobal && (e & TLB_GLOBAL) !== 0) this.live[kept++] = page;
      else this.entries[page] = 0;
    }
    this.liveCount = kept;
  }
}
