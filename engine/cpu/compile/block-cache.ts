// Which code is hot, which blocks are compiled, and forgetting them when the
// guest writes to their page.
//
// A physical page holding compiled code is a "code page": TLB entries for it
// are filled without write permission, so every write to it takes the slow
// path, which drops the page's blocks before the write lands. Code pages are
// rare and writes to them rarer (a loader copying a program, a kernel
// patching itself), so the hot path pays nothing for this.

import type { CPU } from '../cpu.ts';
import { MACHINES_RELEASED_TOGETHER, Spares } from '../../memory/spares.ts';
import { compileBlock, NO_BLOCK, type Block } from './block-compiler.ts';

/**
 * Executions of an address before it is compiled. Compiling costs a V8 parse
 * and the new function starts out in V8's own bytecode interpreter, so code
 * that runs only a few hundred times is faster left to ours. Set from the
 * CPU time (user + sys, all threads) of whole gradings, 2 jobs, median of 4-5
 * alternated runs on the 2-core host: the benchmark course (22 tests of 0.3
 * to 5 M instructions) 1.43 s at 1000, 1.31 s at 300, 1.18 s at 100 and 50;
 * lab 3 (30 tests, mostly boot) 0.60 s at 1000, 0.58 s at 300, 0.60 s at
 * 100; lab 5 3.28, 3.22 and 3.28 s. 300 keeps most of the gain on
 * compute-heavy tests without costing short ones.
 */
export const DEFAULT_HOT_THRESHOLD = 300;
/** Direct-mapped cache sizes (powers of two). */
const CACHE_BITS = 16;
const COUNTER_BITS = 16;

export const CACHE_MASK = (1 << CACHE_BITS) - 1;

/**
 * Code that keeps rewriting its own page (a kernel storing into the page it
 * runs from, on purpose or by a stray pointer) would otherwise be compiled
 * again after every write: 300 interpreted executions, a compile, a few runs,
 * dropped. A page whose compiled code is dropped CHURN_STRIKES times in a
 * row, each time less than CHURN_INSTRUCTIONS after it was first compiled,
 * is left to the interpreter from then on. Measured on such a kernel (a loop
 * that calls a function and stores into its page every other iteration):
 * 10-17 MIPS recompiling, 34-37 MIPS interpreted. A loader that reuses a frame for
 * a new program now and then never gets there.
 */
const CHURN_INSTRUCTIONS = 100_000;
const CHURN_STRIKES = 4;

/** How many Jccs one block goes on through, at most (see follow). */
const MAX_FOLLOWED = 4;

/**
 * The Jccs blocks went on through on this thread's earlier machines, by
 * physical address and EIP: the next machine's block there follows them from
 * its first compile, as the next test's kernel is most often the same. Where
 * it is not, a branch followed needlessly costs speed, never a difference:
 * blocks are exact whichever way they go.
 */
const followed = new Map<string, ReadonlySet<number>>();
const FOLLOWED_KEPT = 20_000;

/** The two large tables of a cache, kept for the next machine when one is released. */
interface Tables {
  cache: Block[];
  counters: Uint16Array;
}

const spareTables = new Spares<Tables>(MACHINES_RELEASED_TOGETHER);

export class BlockCache {
  /**
   * Direct-mapped by physical address; the run loop probes it inline. Every
   * slot holds a block (NO_BLOCK when empty), so `cache[phys & CACHE_MASK]!`.
   */
  readonly cache: Block[];
  private readonly counters: Uint16Array;
  /** Blocks compiled per physical page, so a write to the page can drop exactly them. */
  private readonly pageBlocks = new Map<number, Block[]>();
  /** 1 for physical pages holding compiled code. */
  readonly codePages: Uint8Array;
  /** 1 for physical pages never compiled again: their code kept being rewritten (see CHURN_STRIKES). */
  private readonly churningPages: Uint8Array;
  /** For each code page, the retired count when it became one; and the page's strikes so far. */
  private readonly codeSince = new Map<number, number>();
  private readonly strikes = new Map<number, number>();
  /**
   * Physical addresses (unsigned) of instructions that touched a device's
   * registers: always interpreted (see LEAVE_BLOCK), and no block holds them.
   */
  private readonly interpreted = new Set<number>();
  compiled = 0;
  invalidations = 0;
  /** Segment registers that blocks now cached compiled as flat (bit s), see segmentChecked. */
  private assumedFlat = 0;
  /** Segment registers never again compiled as flat in this machine: they stopped being flat once. */
  private neverFlat = 0;

  constructor(
    private readonly cpu: CPU,
    private readonly hotThreshold = DEFAULT_HOT_THRESHOLD,
  ) {
    this.codePages = new Uint8Array(Math.ceil(cpu.ramSize / 4096));
    this.churningPages = new Uint8Array(this.codePages.length);
    const tables = spareTables.take() ?? { cache: new Array<Block>(1 << CACHE_BITS).fill(NO_BLOCK), counters: new Uint16Array(1 << COUNTER_BITS) };
    this.cache = tables.cache;
    this.counters = tables.counters;
  }

  /** Empties the tables for the next machine's cache; this one must not be used any more. */
  release(): void {
    for (const list of this.pageBlocks.values()) {
      for (const b of list) this.cache[b.phys & CACHE_MASK] = NO_BLOCK;
    }
    this.pageBlocks.clear();
    this.counters.fill(0);
    spareTables.give({ cache: this.cache, counters: this.counters });
  }

  /**
   * The run loop found no block for physical `phys` (EIP `eip`) in the cache:
   * count the execution, and compile the block once the address is hot; null
   * while it is cold. A block of length 0 means "interpret here".
   */
  miss(phys: number, eip: number): Block | null {
    if (this.interpreted.size !== 0 && this.interpreted.has(phys >>> 0)) return null;
    if (this.churningPages[phys >>> 12] !== 0) return null;
    const slot = phys & CACHE_MASK;
    const c = phys & ((1 << COUNTER_BITS) - 1);
    if (++this.counters[c]! < this.hotThreshold) return null;
    this.counters[c] = 0;
    return this.compile(phys, eip, slot, followed.get(`${phys}:${eip}`));
  }

  private compile(phys: number, eip: number, slot: number, follow?: ReadonlySet<number>): Block {
    let flat = 0;
    for (let s = 0; s < 6; s++) if (this.cpu.segNeedsCheck[s] === 0) flat |= 1 << s;
    const block = compileBlock(this.cpu, phys, eip, this.interpreted, flat & ~this.neverFlat, follow);
    this.assumedFlat |= block.assumedFlat;
    this.cache[slot] = block;
    this.compiled++;
    const page = phys >>> 12;
    let list = this.pageBlocks.get(page);
    if (!list) {
      list = [];
      this.pageBlocks.set(page, list);
    }
    list.push(block);
    if (this.codePages[page] === 0) {
      this.codePages[page] = 1;
      this.codeSince.set(page, this.cpu.retired);
      // Writable translations of this page may be cached: from now on their writes must drop the code.
      this.cpu.tlb.markCode(page, true);
    }
    return block;
  }

  /**
   * Most of `block`'s first entries left it by the Jcc at EIP `jcc`, taken:
   * compile it again to go on at that Jcc's target instead, and leave when it
   * is not taken. A block compiled straight on from its first instruction
   * guesses every branch not taken, and gcc's code is full of branches
   * mostly taken; each early exit costs a block entry for a few instructions.
   * A Jcc is followed once and for good, and a block follows a few at most,
   * so a branch that changes its mind costs one compile, not one each time.
   * (Following a RET back to where it mostly returns, tried too, made the
   * first run of a kernel in a process much slower: see test/bench/README.md.)
   */
  follow(block: Block, jcc: number): void {
    if (block.valid !== true || block.follows.has(jcc) || block.follows.size >= MAX_FOLLOWED) return;
    block.valid = false;
    const list = this.pageBlocks.get(block.phys >>> 12) ?? [];
    const k = list.indexOf(block);
    if (k >= 0) list.splice(k, 1);
    const follows = new Set(block.follows).add(jcc);
    if (followed.size >= FOLLOWED_KEPT) followed.clear();
    followed.set(`${block.phys}:${block.eip}`, follows);
    this.compile(block.phys, block.eip, block.phys & CACHE_MASK, follows);
  }

  /** The instructions interpretInstruction set apart, by physical address. */
  interpretedInstructions(): number[] {
    return [...this.interpreted];
  }

  /** Forget every compiled block: guest RAM was put back to an earlier state, and any page may hold other code now. */
  invalidateAll(): void {
    for (const page of [...this.pageBlocks.keys()]) this.dropPage(page);
    this.assumedFlat = 0;
  }

  /**
   * Segment register `seg` was loaded with a segment that needs checking (a
   * limit, a base, a null selector). Blocks that compiled its operands as flat
   * would skip the check, so they all go (compiled blocks never load a
   * segment register, so none is running), and `seg` is compiled with its
   * checks from now on: a kernel that switches one back and forth pays this once.
   */
  segmentChecked(seg: number): void {
    if (((this.assumedFlat >>> seg) & 1) === 0) return;
    this.neverFlat |= 1 << seg;
    this.invalidateAll();
  }

  /**
   * The instruction at physical `phys` reached a device's registers: drop
   * the blocks of its page, and compile none with it again. The rest of the
   * page (a polling loop's compare and branch, the code around) is compiled
   * again once hot, in blocks that end before it.
   */
  interpretInstruction(phys: number): void {
    this.interpreted.add(phys >>> 0);
    this.dropPage(phys >>> 12);
  }

  /**
   * A write is about to change physical page `page`: forget its compiled
   * blocks, and stop compiling the page if its code keeps changing soon
   * after it is compiled (CHURN_STRIKES).
   */
  invalidatePage(page: number): void {
    if (this.pageBlocks.has(page)) {
      const lived = this.cpu.retired - (this.codeSince.get(page) ?? 0);
      const strikes = lived < CHURN_INSTRUCTIONS ? (this.strikes.get(page) ?? 0) + 1 : 0;
      this.strikes.set(page, strikes);
      if (strikes >= CHURN_STRIKES) this.churningPages[page] = 1;
    }
    this.dropPage(page);
  }

  private dropPage(page: number): void {
    const list = this.pageBlocks.get(page);
    if (list) {
      for (const b of list) {
        b.valid = false;
        const slot = b.phys & ((1 << CACHE_BITS) - 1);
        if (this.cache[slot] === b) this.cache[slot] = NO_BLOCK;
      }
      this.pageBlocks.delete(page);
    }
    this.codePages[page] = 0;
    this.invalidations++;
    // The block running may be the one whose code just changed: it must run none of its old bytes after
    // the write (codeChanged), nor start another iteration of them, nor chain on (stopRequested).
    if (this.cpu.inBlock) {
      this.cpu.codeChanged = true;
      this.cpu.stopRequested = true;
    }
    // Writes to the page may take the fast path again; the translations themselves stay as they were.
    this.cpu.tlb.markCode(page, false);
  }
}
