// The instruction loop. Prefix state is cleared only after instructions that
// had prefixes (most have none), so the common path does one fetch, one
// table call and one count per instruction.
//
// Boolean fields are tested here as `=== true` / `!== true`: V8's optimized
// code does not know a field holds only booleans, and a bare `if (field)`
// becomes a test of every falsy kind of value (false, '', 0, NaN, 0n,
// undetectable objects), where the comparison is one instruction.

import type { CPU } from './cpu.ts';
import { table } from './dispatch.ts';
import { CACHE_MASK, type BlockCache } from './compile/block-cache.ts';
import type { Block } from './compile/block-compiler.ts';
import { debugActive, stepDebugged } from './debug-registers.ts';
import { LEAVE_BLOCK } from './exceptions.ts';

/**
 * Execute one instruction, whatever the previous one requested of the run
 * loop (instruction-level tests and debuggers step this way). A guest fault
 * propagates as CpuException with EIP back at the instruction.
 */
export function step(cpu: CPU): void {
  cpu.stopRequested = false;
  runInstructions(cpu, cpu.retired + 1);
}

/**
 * Execute instructions until `cpu.retired` reaches `limit` or something sets
 * `cpu.stopRequested`. The limit is kept in `cpu.sliceEnd`, which a repeated
 * string instruction lowers by the elements it charges to the budget, so the
 * slice also ends after about as much work as `limit` instructions.
 * A fault propagates to the caller (the machine), which delivers it and calls
 * again; `cpu.eip` then points at the faulting instruction.
 */
export function runInstructions(cpu: CPU, limit: number): void {
  cpu.sliceEnd = limit;
  cpu.executing = true;
  try {
    if (debugActive(cpu)) runDebugged(cpu);
    else if (cpu.blocks !== null) runWithBlocks(cpu, cpu.blocks);
    else while (cpu.retired < cpu.sliceEnd && cpu.stopRequested !== true) interpretOne(cpu);
  } catch (e) {
    abandonInstruction(cpu);
    throw e;
  }
  cpu.executing = false;
}

/** Decode and execute the instruction at CS:EIP. */
function interpretOne(cpu: CPU): void {
  cpu.ip0 = cpu.eip;
  cpu.extraCyclesAtStart = cpu.extraCycles;
  table[cpu.fetch8()]!(cpu);
  if (cpu.prefixCount !== 0) cpu.clearPrefixes();
  cpu.retired++;
}

/**
 * The loop while the guest uses the debug facilities (a breakpoint, TF, RF):
 * interpreted, one instruction at a time under the debug rules, until it
 * stops using them; the slice then ends early and the next one runs at full
 * speed. Compiled blocks never run here, so they need not know the rules.
 */
function runDebugged(cpu: CPU): void {
  while (cpu.retired < cpu.sliceEnd && cpu.stopRequested !== true && debugActive(cpu)) stepOneDebugged(cpu);
}

function stepOneDebugged(cpu: CPU): void {
  // A repeated string instruction is stepped, and checked for data breakpoints, one iteration at a time.
  cpu.repOneIteration = true;
  try {
    stepDebugged(cpu, interpretOne);
  } finally {
    cpu.repOneIteration = false;
  }
}

/**
 * The loop with compiled blocks: at each instruction boundary, run the
 * compiled block starting here if there is one and it fits the budget whole;
 * else interpret one instruction (which also counts toward making it hot).
 */
function runWithBlocks(cpu: CPU, blocks: BlockCache): void {
  const cache = blocks.cache;
  // Only an interpreted instruction (a REP) moves the slice's end; compiled blocks hold no string instructions.
  let limit = cpu.sliceEnd;
  while (cpu.retired < limit && cpu.stopRequested !== true) {
    const eip = cpu.eip;
    cpu.ip0 = eip;
    const lin = (cpu.csBase + eip) | 0;
    if ((lin & ~0xfff) !== cpu.fetchPage) {
      // A fault here is the next instruction's, before it charged anything.
      cpu.extraCyclesAtStart = cpu.extraCycles;
      cpu.refillFetchPage(lin);
    }
    const phys = cpu.fetchXor ^ lin;
    let block: Block | null = cache[phys & CACHE_MASK]!;
    if (block.phys !== phys || block.eip !== eip || block.csBase !== cpu.csBase) block = blocks.miss(phys, eip);
    // Compiled code does not check a CS limit, so a limited CS is always interpreted.
    if (block === null || block.length === 0 || cpu.retired + block.length > limit || cpu.segNeedsCheck[1] !== 0) {
      interpretOne(cpu);
      limit = cpu.sliceEnd;
      continue;
    }
    let current: Block = block;
    cpu.inBlock = true;
    try {
      runBlock(cpu, blocks, current, limit);
      runChained(cpu, blocks, current, limit);
    } catch (e) {
      if (e !== LEAVE_BLOCK) throw e;
      if (cpu.leftForDevice === true) {
        cpu.leftForDevice = false;
        blocks.interpretInstruction(cpu.fetchXor ^ ((cpu.csBase + cpu.ip0) | 0));
      }
      // The run goes on at ip0: the device access to make, or the instruction after a write that changed code.
      abandonInstruction(cpu);
      cpu.executing = true;
    } finally {
      cpu.inBlock = false;
      cpu.codeChanged = false;
    }
  }
}

/**
 * Chaining: go straight to the block that followed `current` last time while
 * it is still valid, on the same linear page (so the same translation), and
 * fits the budget.
 */
function runChained(cpu: CPU, blocks: BlockCache, current: Block, limit: number): void {
  for (;;) {
    const next = cpu.eip;
    let following: Block | null = current.next0;
    if (following.eip !== next) {
      following = current.next1;
      if (following.eip !== next) {
        following = lookupOnPage(cpu, blocks, next);
        if (following === null) break;
        current.next1 = current.next0;
        current.next0 = following;
      }
    }
    if (following.valid !== true) {
      // Dropped since: its page was written, or BlockCache.follow compiled it again.
      following = lookupOnPage(cpu, blocks, next);
      if (following === null) break;
      current.next0 = following;
    }
    if (following.csBase !== cpu.csBase || ((cpu.csBase + next) & ~0xfff) !== cpu.fetchPage) break;
    if (cpu.retired + following.length > limit || cpu.stopRequested === true) break;
    current = following;
    runBlock(cpu, blocks, current, limit);
  }
}

/** A block's first entries are looked at, for a Jcc it is mostly left by (BlockCache.follow). */
const PROFILED_ENTRIES = 64;

function runBlock(cpu: CPU, blocks: BlockCache, block: Block, limit: number): void {
  const before = cpu.retired;
  block.run(cpu, limit);
  if (block.entries < PROFILED_ENTRIES) profileEntry(blocks, block, cpu.retired - before);
}

function profileEntry(blocks: BlockCache, block: Block, retired: number): void {
  block.entries++;
  if (retired < block.length) {
    // It left early, by a Jcc taken (or a RET that went elsewhere); a loop block's whole iterations count as more.
    block.sideExits++;
    block.lastExit = retired;
  }
  if (block.entries === PROFILED_ENTRIES && block.sideExits * 2 > PROFILED_ENTRIES) blocks.follow(block, block.eips[block.lastExit - 1]!);
}

/** The compiled block at `eip` if it is cached and on the current fetch page; null otherwise. */
function lookupOnPage(cpu: CPU, blocks: BlockCache, eip: number): Block | null {
  const lin = (cpu.csBase + eip) | 0;
  if ((lin & ~0xfff) !== cpu.fetchPage) return null;
  const phys = cpu.fetchXor ^ lin;
  const b = blocks.cache[phys & CACHE_MASK]!;
  return b.phys === phys && b.eip === eip && b.length !== 0 ? b : null;
}

/**
 * A fault unwound the instruction: put EIP back on it so it can be delivered
 * and restarted, and take back the cycles it charged, from the count kept
 * where it started: by the interpreter, by the run loop before a fetch from a
 * new page, or by a compiled block's catch for its faulting instruction.
 */
function abandonInstruction(cpu: CPU): void {
  cpu.eip = cpu.ip0;
  cpu.extraCycles = cpu.extraCyclesAtStart;
  cpu.clearPrefixes();
  cpu.executing = false;
}

/** The last N instructions' start addresses, privilege levels and counts, for traces and diagnostics. */
export class InstructionRing {
  readonly eip: Int32Array;
  readonly cpl: Uint8Array;
  readonly icount: Float64Array;
  /** Total instructions recorded; the newest is at (next - 1) & mask. */
  next = 0;
  readonly mask: number;

  constructor(length: number) {
    const size = 1 << Math.max(0, Math.ceil(Math.log2(length)));
    this.eip = new Int32Array(size);
    this.cpl = new Uint8Array(size);
    this.icount = new Float64Array(size);
    this.mask = size - 1;
  }
}

/** The same loop, recording each instruction in `ring` before it runs (tracing on). */
export function runInstructionsTraced(cpu: CPU, limit: number, ring: InstructionRing): void {
  cpu.sliceEnd = limit;
  cpu.executing = true;
  try {
    while (cpu.retired < cpu.sliceEnd && cpu.stopRequested !== true) {
      const slot = ring.next++ & ring.mask;
      ring.eip[slot] = cpu.eip;
      ring.cpl[slot] = cpu.cpl;
      ring.icount[slot] = cpu.retired;
      if (debugActive(cpu)) stepOneDebugged(cpu);
      else interpretOne(cpu);
    }
  } catch (e) {
    abandonInstruction(cpu);
    throw e;
  }
  cpu.executing = false;
}
