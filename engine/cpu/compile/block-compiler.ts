// Translation of hot guest code into JavaScript functions.
//
// The interpreter decodes every instruction every time it runs. For code
// that runs often (loop bodies, hot functions) this compiler decodes a block
// once and emits a JavaScript function that does exactly what the
// interpreter would do for those instructions, with ModRM, SIB, displacements
// and immediates already resolved; V8 then compiles that to machine code.
// instruction-compiler.ts writes each instruction; a block ends before the
// first one it does not know, which the interpreter then runs. A block is a
// trace rather than a basic block: it goes on past a Jcc (leaving the block
// there when the branch is taken, a side exit), on at the target of a
// direct JMP or CALL on its page, and on after the CALL when the function
// returns where it was called from; because each entry into a block costs the
// run loop's dispatch and an indirect call, which on gcc's code cost about
// as much as the instructions themselves. A block mostly left by one taken
// Jcc is compiled again to go on at its target instead (BlockCache.follow).
// What compiling made is kept for the thread's next machines (`shapes`
// below), which most often boot the same kernel. Blocks never cross a page, so
// invalidating a page's blocks on a write (self-modifying code, a loader
// reusing memory) is exact.
//
// Everything observable stays as the interpreter would have it: faults are
// raised at the same instruction with EIP and the retired count pointing at
// it, memory goes through the same TLB and segment checks, flags through the
// same lazy record (less the records nothing can see, flag-liveness.ts), and
// the modelled cycles (../cycle-model.ts) are the interpreter's: each block
// adds the static costs of its instructions as one sum (a side exit those
// before it), and a taken Jcc its cycle as it runs.

import type { CPU } from '../cpu.ts';
import { CodeReader, OUT_OF_PAGE, SS } from './code-reader.ts';
import { helpers, InstructionCompiler, type Compiled, type Leave } from './instruction-compiler.ts';
import { dropDeadFlagRecords } from './flag-liveness.ts';
import { inlineMemoryFastPaths } from './memory-fast-paths.ts';

export { helpers };

/** Generated code that may store to memory (and so may rewrite code): the slow paths' calls. */
const WRITES = /cpu\.(write(8|16|32)|push32|push16)\(/;

/** After code that may store: leave the block, `retired` instructions done, if the store dropped compiled code. */
function leaveIfCodeChanged(code: string, retired: number): string {
  return WRITES.test(code) ? ` if (cpu.codeChanged) { i = ${retired}; throw h.LEAVE_BLOCK; }` : '';
}

const NO_ADDRESSES: ReadonlySet<number> = new Set();

/** A compiled block: run it only if `length` more instructions fit the budget. */
export class Block {
  constructor(
    /** Physical address of the first instruction (the cache key) and its EIP and CS base. */
    readonly phys: number,
    readonly eip: number,
    readonly csBase: number,
    /** Instructions in the block; 0 means "nothing compilable here: interpret". */
    readonly length: number,
    /** Runs the block; a block that ends by jumping to its own start repeats while `limit` allows. */
    readonly run: (cpu: CPU, limit: number) => void,
    /** Segment registers (bit s) whose memory operands it compiled as flat: it must not run once one is not. */
    readonly assumedFlat = 0,
    /** The EIP of each instruction. */
    readonly eips: readonly number[] = [],
    /** The Jccs (by EIP) it was asked to go on through when taken (see BlockCache.follow). */
    readonly follows: ReadonlySet<number> = NO_ADDRESSES,
  ) {}

  /** False once a write to its page, or a better block for the same code, has dropped it. */
  valid = true;
  /** Its first entries (up to PROFILED_ENTRIES, ../execute.ts), how many of them left it early, and after how many instructions the last did. */
  entries = 0;
  sideExits = 0;
  lastExit = 0;
  /** The blocks that followed this one last time, so the run loop can go straight on (block chaining). */
  next0: Block = this;
  next1: Block = this;
}

/** Fills empty cache slots, so the cache array never has holes: it matches no address. */
export const NO_BLOCK = new Block(-1, -1, -1, 0, () => {});

/** The longest block: bounds compile time and the budget granularity. */
const MAX_INSTRUCTIONS = 48;

/**
 * Compile the block at physical `phys` (EIP `eip`), ending before any
 * instruction at an address in `interpreted` (unsigned physical addresses),
 * with memory operands through the segments in `flat` (bit s) compiled as
 * flat. Returns a block of length 0 when the first instruction is not one
 * the compiler knows.
 */
export function compileBlock(
  cpu: CPU, phys: number, eip: number, interpreted: ReadonlySet<number> = NO_ADDRESSES, flat = 0, follow: ReadonlySet<number> = NO_ADDRESSES,
): Block {
  const first = phys >>> 0;
  const pageStart = first - (first & 0xfff);
  let apart = '';
  if (interpreted.size !== 0) for (const at of interpreted) if (at >= pageStart && at < pageStart + 0x1000) apart += `${at},`;
  const key = `${phys}:${eip}:${flat}:${apart}:${[...follow].join(',')}`;
  let shape = shapes.get(key);
  if (shape === undefined || !sameBytes(cpu.ram, shape)) {
    if (shapes.size >= SHAPES_KEPT) shapes.clear();
    shape = compileShape(cpu.ram, phys, eip, interpreted, flat, follow);
    shapes.set(key, shape);
    blockShapes.made++;
  } else {
    blockShapes.reused++;
  }
  const run = shape.count === 0 ? NO_BLOCK.run : functionFor(shape.source, cpu);
  return new Block(phys, eip, cpu.csBase, shape.count, run, shape.assumedFlat, shape.eips, follow);
}

/** What compiling a block made, and the guest bytes it read to make it. */
interface Shape {
  count: number;
  source: string;
  eips: readonly number[];
  assumedFlat: number;
  /** The bytes the compiler read, from physical address `from`. */
  from: number;
  bytes: Uint8Array;
}

/**
 * Blocks already compiled in this thread, by address and what else decides
 * their code: every test of a course boots the same kernel on a new machine,
 * whose blocks would otherwise be compiled again from the same bytes (the
 * compiler's decoding and text passes were about a tenth of a short test's
 * time). A shape is used again only where RAM holds the very bytes it was
 * made from. Bounded: a thread grading many kernels starts over now and then.
 */
const shapes = new Map<string, Shape>();
const SHAPES_KEPT = 20_000;

/** How many blocks this thread compiled from guest code, and how many it made from a shape it had (for tests and benchmarks). */
export const blockShapes = { made: 0, reused: 0 };

function sameBytes(ram: Uint8Array, shape: Shape): boolean {
  const { from, bytes } = shape;
  for (let k = 0; k < bytes.length; k++) if (ram[from + k] !== bytes[k]) return false;
  return true;
}

function compileShape(ram: Uint8Array, phys: number, eip: number, interpreted: ReadonlySet<number>, flat: number, follow: ReadonlySet<number>): Shape {
  const compiler = new InstructionCompiler(flat);
  // `phys` is the cache key, int32 like every TLB result; RAM is indexed from 0 up (see cpu.ts).
  const first = phys >>> 0;
  const pageStart = first - (first & 0xfff);
  const pageEnd = pageStart + 0x1000;
  const reader = new CodeReader(ram, first, pageEnd);
  /** The span of the page the compiler read. */
  let lowest = first;
  let highest = first;
  /** Each instruction's code, in order. */
  const codes: string[] = [];
  /** Static cycles of the instructions before each one, and of all: what a fault at one, or the block's end, adds. */
  const cyclesBefore: number[] = [];
  /** The EIP of each instruction, and past the last: ip0 when the block leaves at one. */
  const eips: number[] = [];
  let cycles = 0;
  let count = 0;
  let ended = false;
  let loops = false;
  /** For a loop whose back edge is a Jcc, that Jcc's cycle when taken, charged with the iteration's. */
  let backEdgeCycles = 0;
  /** The return addresses of the CALLs the block went on through, innermost last. */
  const returns: number[] = [];
  /** Where in the page the block can go on at EIP `at`: code on its page not yet in it, nor its start (a loop); -1 if not. */
  const onward = (at: number): number => {
    const to = first + ((at - eip) | 0);
    return at !== eip && !eips.includes(at) && count < MAX_INSTRUCTIONS && to >= pageStart && to < pageEnd ? to : -1;
  };
  while (count < MAX_INSTRUCTIONS) {
    const start = reader.pos;
    if (interpreted.size !== 0 && interpreted.has(start)) break;
    const at = (eip + (start - first)) | 0;
    let c: Compiled | null;
    try {
      c = compiler.next(reader, at, start);
    } catch (e) {
      if (e !== OUT_OF_PAGE) throw e;
      c = null;
    }
    lowest = Math.min(lowest, start);
    highest = Math.max(highest, reader.pos);
    if (!c) {
      reader.pos = start;
      break;
    }
    eips.push(at);
    cyclesBefore.push(cycles);
    cycles += compiler.cycles;
    count++;
    // After a write that dropped compiled code, the block leaves as a fault would, but past the writer.
    let code = `${c.code}${c.ends ? '' : leaveIfCodeChanged(c.code, count)}`;
    // Leaving the block after this instruction, which retired: what to set goes to the one exit, see below.
    const leave: Leave = (to, takenCycles) => `{ exitEip = ${to}; exitCount = ${count}; exitCycles = ${cycles + takenCycles}; break leave; }`;
    const expected = c.returnsTo === undefined ? undefined : returns.pop();
    // Where the block goes on, when the instruction is a JMP or CALL it can follow, or a RET to a CALL it followed.
    const goesOnAt = c.goesOn !== undefined ? onward(c.goesOn.at) : expected !== undefined ? onward(expected) : -1;
    const takenAt = c.onTaken !== undefined && follow.has(at) ? onward(c.targets![0]!) : -1;
    if (takenAt >= 0) {
      // A Jcc this block mostly left by: go on at its target, and leave the block when it is not taken.
      code = c.onTaken!.code(leave);
      cycles += c.onTaken!.takenCycles;
    } else if (c.sideExit !== undefined && c.targets![0] !== eip) {
      // A Jcc not back to the block's start: leave the block when taken, and go on with the instructions
      // after it (or end there, at the longest block).
      code = c.sideExit(leave);
    } else if (c.goesOn !== undefined && goesOnAt >= 0) {
      // A direct JMP or CALL: the block goes on at its target.
      code = `${c.goesOn.code}${leaveIfCodeChanged(c.goesOn.code, count)}`;
      if (c.goesOn.pushed !== undefined) returns.push(c.goesOn.pushed);
    } else if (c.returnsTo !== undefined && goesOnAt >= 0) {
      // A RET from a function the block called: it goes on after that CALL, unless the function returned elsewhere.
      code = c.returnsTo(expected!, leave);
    } else if (c.ends) {
      ended = true;
      loops = c.targets?.[0] === eip;
      if (loops) {
        // The back edge: a JMP always goes round; a Jcc goes round while it is taken, and leaves when it is not.
        backEdgeCycles = c.onTaken?.takenCycles ?? 0;
        code = c.onTaken?.code(leave) ?? '';
      }
    }
    codes.push(code);
    if (ended) break;
    if (goesOnAt >= 0) reader.pos = goesOnAt;
    else if (takenAt >= 0) reader.pos = takenAt;
  }
  const bytes = ram.slice(lowest, highest);
  if (count === 0) return { count: 0, source: '', eips, assumedFlat: 0, from: lowest, bytes };
  const end = (eip + (reader.pos - first)) | 0;
  // A loop that is one block runs inside the function, as long as each whole
  // iteration fits the budget: the dispatcher is the expensive part of a short loop.
  // `i` tells the catch how many instructions of the block retired, and where EIP goes back to (ip0).
  const body = inlineMemoryFastPaths(dropDeadFlagRecords(codes).map((code, k) => `i = ${k}; ${code}`).join('\n      '));
  // Every way out but a fault sets the locals exitEip, exitCount (instructions
  // since R) and exitCycles, and breaks out of the block labelled `leave` to
  // the one piece of code that stores them. V8 compiles a path it has not
  // seen run as a deoptimization, and a loop block optimized while its first
  // call is still going round (on-stack replacement) has seen none of its
  // exits: with one exit, that costs one deoptimization and recompile per
  // block rather than one per Jcc. In a loop block the exit is inside the
  // loop: V8 keeps a loop's optimized code through a deoptimization after
  // the loop, and would enter it and deoptimize again on every call.
  const exit = 'cpu.eip = exitEip; cpu.retired = R + exitCount; cpu.extraCycles += exitCycles;';
  const source = `
    const rm = cpu.readMask, wm = cpu.writeMask;
    const flatStack = segCheck[${SS}] === 0 && cpu.stack32 === true;
    let R = cpu.retired;
    let i = 0, a = 0, x = 0, y = 0, r = 0, b = 0, f = 0, s = 0, t = 0;
    let exitEip = ${ended ? 0 : end}, exitCount = ${loops ? 0 : count}, exitCycles = ${loops ? 0 : cycles};
    try {
      ${!loops ? `leave: {
      ${body}${ended ? '\n      exitEip = cpu.eip;' : ''}
      }` : `const last = limit - ${count};
      for (;;) {
      leave: {
      ${body}
      R += ${count}; cpu.extraCycles += ${cycles + backEdgeCycles};
      if (R > last || cpu.stopRequested === true) { exitEip = ${eip}; break leave; }
      continue;
      }
      ${exit}
      return;
      }`}
    } catch (e) {
      // Set here, not before each instruction that may fault: nothing reads it while a block runs
      // (a device access reads it only after this, see leaveBlock in linear-memory.ts).
      cpu.ip0 = [${[...eips, end].join(', ')}][i];
      cpu.retired = R + i;
      // The faulting instruction charged nothing: the run loop takes extraCycles back to this.
      cpu.extraCycles = cpu.extraCyclesAtStart = cpu.extraCycles + [${[...cyclesBefore, cycles].join(', ')}][i];
      throw e;
    }
    ${loops ? '' : exit}`;
  return { count, source, eips, assumedFlat: compiler.assumedFlat, from: lowest, bytes };
}

type BlockFunction = (cpu: CPU, limit: number) => void;

/**
 * The arrays a block's code names, read once when its function is made: V8
 * then compiles each access with the array's address and length as
 * constants, where through a local it reloads both after every store to any
 * typed array (about a third of a block's machine code on cpu-bound). They
 * are the same arrays for a CPU's whole life, and the thread's next machine
 * gets the same ones (see RegisterFile in state.ts and memory/spares.ts).
 * The arrays, not the CPU, so that a function kept for later machines keeps
 * no machine alive; by the names blocks use.
 */
function boundArrays(cpu: CPU) {
  const { r32, r16, r8, tlbEntries: tlb, ram, ram32, segBase, segNeedsCheck: segCheck } = cpu;
  return { r32, r16, r8, tlb, ram, ram32, segBase, segCheck };
}

/** Besides RAM (which keys the cache), the arrays a block is bound to; r16 and r8 view r32's buffer, ram32 is RAM. */
function identifyingArrays(cpu: CPU): object[] {
  return [cpu.r32, cpu.segBase, cpu.segNeedsCheck, cpu.tlbEntries];
}

/** A number for each array a block is bound to; arrays are never compared by content. */
const arrayIds = new WeakMap<object, number>();
let nextArrayId = 0;

function bindingKey(cpu: CPU): string {
  return identifyingArrays(cpu).map((a) => {
    let id = arrayIds.get(a);
    if (id === undefined) arrayIds.set(a, (id = nextArrayId++));
    return id;
  }).join(',');
}

/**
 * Functions already made, by the RAM they run on, then by their source and
 * the other arrays they are bound to. The source depends only on the guest
 * code and its EIP, and a thread's machines reuse one set of arrays, so every
 * machine in this thread that runs the same kernel shares one function: V8
 * parses it once, and its optimized code, not only its source, carries over
 * from one test to the next. Keyed weakly by RAM: a function holds its arrays,
 * and a machine dropped without release() (a script's, a test's) must not
 * stay alive in them, tens of MiB each. Bounded: a thread grading many kernels
 * starts over now and then.
 */
const functionsByRam = new WeakMap<Uint8Array, Map<string, BlockFunction>>();
const FUNCTIONS_KEPT = 20_000;

function functionFor(source: string, cpu: CPU): BlockFunction {
  let functions = functionsByRam.get(cpu.ram);
  if (functions === undefined) functionsByRam.set(cpu.ram, (functions = new Map()));
  const key = `${bindingKey(cpu)}\n${source}`;
  let run = functions.get(key);
  if (run === undefined) {
    if (functions.size >= FUNCTIONS_KEPT) functions.clear();
    // The compiler's output stage: the block's code becomes a function V8 compiles like any other.
    // In parentheses, V8 compiles the inner function with the outer one (it would otherwise
    // pre-parse it now and parse it again at its first call, which is at once).
    const arrays = boundArrays(cpu);
    run = new Function('h', 'm', `const { ${Object.keys(arrays).join(', ')} } = m; return (function block(cpu, limit) {${source}\n});`)(helpers, arrays) as BlockFunction;
    functions.set(key, run);
  }
  return run;
}
