// String instructions (SDM Vol. 1, 7.3.9; Vol. 2 "MOVS", "CMPS", "SCAS", "LODS",
// "STOS", "INS", "OUTS", "REP/REPE/REPNE").
//
// The source is DS:ESI (a segment override may replace DS), the destination is
// ES:EDI (never overridden). Each element moves ESI/EDI by the element size,
// up when DF = 0 and down when DF = 1. With the 0x67 prefix the index and count
// registers are SI, DI and CX, and they wrap at 64 KiB.
//
// A repeated instruction updates ESI, EDI and ECX after every element, so a
// fault part-way leaves them describing the progress so far and the restarted
// instruction carries on where it stopped (SDM "REP": "the state of the
// registers is preserved to allow the string operation to be resumed").
//
// The instruction budget counts a repeated instruction's elements, one unit
// each: an execution that handles k elements is one retired instruction and
// k - 1 more units (CPU.chargeBudget). Executions are cut at REP_SLICE
// elements and where the budget ends, never elsewhere, so the same guest
// splits the same way on every run, traced or not, compiled or not.
//
// The cycle model (../cycle-model.ts) charges each element handled, and each
// port access of INS/OUTS, as committed cycles: elements done before a fault
// stay done, so their cycles stay spent.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16, Seg } from '../cpu.ts';
import type { Op } from '../opcode-family.ts';
import { DF } from '../flags.ts';
import { TLB_VALID } from '../../memory/tlb.ts';
import { alu } from './arith-semantics.ts';
import { checkIoPermission } from './system.ts';
import { noteIoAccess } from '../debug-registers.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { DS, at } from '../compile/code-reader.ts';
import type { InstructionCompiler } from '../compile/instruction-compiler.ts';
import { CYCLES } from '../cycle-model.ts';

export const stringOpcodes = new OpcodeFamily('ops/string.ts');
const { def, def2, emit } = stringOpcodes;

const CMP = 7;

/**
 * Elements one execution of a repeated instruction handles before it hands
 * control back to the run loop. The instruction then starts again from its
 * first prefix with the registers showing how far it got, which is what
 * hardware does when an interrupt arrives between iterations; it keeps a
 * `rep stosb` with ECX = 0xFFFFFFFF from holding off timers, interrupts and
 * the machine's checks (its deadline among them) for seconds of host time.
 */
export const REP_SLICE = 0x10000;

/**
 * One iteration of a string instruction: `seg` is the source segment, `delta`
 * the signed step. Returns ZF's new value for CMPS and SCAS (true: equal), true for the others.
 */
type Iteration = (cpu: CPU, size: number, seg: number, delta: number) => boolean;

// ---- registers as the address size sees them ---------------------------------

function sourceIndex(cpu: CPU): number {
  return cpu.a16 ? cpu.r16[Reg16.SI] : cpu.r32[Reg.ESI];
}

function destIndex(cpu: CPU): number {
  return cpu.a16 ? cpu.r16[Reg16.DI] : cpu.r32[Reg.EDI];
}

/** Step SI/ESI or DI/EDI; the typed arrays wrap at 16 and 32 bits. */
function advance(cpu: CPU, reg: Reg, delta: number): void {
  if (cpu.a16) cpu.r16[reg << 1]! += delta;
  else cpu.r32[reg] += delta;
}

/** CX or ECX, as an unsigned count. */
function counter(cpu: CPU): number {
  return cpu.a16 ? cpu.r16[Reg16.CX] : cpu.r32[Reg.ECX] >>> 0;
}

function setCounter(cpu: CPU, n: number): void {
  if (cpu.a16) cpu.r16[Reg16.CX] = n;
  else cpu.r32[Reg.ECX] = n;
}

function direction(cpu: CPU, size: number): number {
  return (cpu.flags & DF) !== 0 ? -size : size;
}



function accumulator(cpu: CPU, size: number): number {
  return size === 1 ? cpu.r8[0] : size === 2 ? cpu.r16[0] : cpu.r32[0];
}

/** Give the rest of a repeated instruction to a later execution (see REP_SLICE). */
function resumeLater(cpu: CPU): void {
  cpu.eip = cpu.ip0;
  cpu.repResumed = true;
}

/**
 * Elements this execution may handle: a slice, and no more than the budget
 * has left (at least one: the execution is an instruction of the budget).
 */
function elementAllowance(cpu: CPU): number {
  if (cpu.repOneIteration) return 1;
  return Math.max(1, Math.min(REP_SLICE, cpu.budgetLimit - cpu.budgetUsed()));
}

/**
 * REP, REPE and REPNE. For the instructions that only count (MOVS STOS LODS
 * INS OUTS) both prefixes repeat until the count is zero: the SDM leaves F2
 * on them undefined, and QEMU (and real CPUs) repeat as for F3, so do we.
 * CMPS and SCAS (`compares`) also stop after the element whose ZF ends the
 * repetition: REPE (F3) repeats while equal, REPNE (F2) while different. A
 * zero count does nothing, and leaves the flags alone.
 */
function repeat(cpu: CPU, once: Iteration, size: number, seg: number, run: Run | null, compares: boolean): void {
  const delta = direction(cpu, size);
  if (cpu.rep === 0) {
    once(cpu, size, seg, delta);
    cpu.committedCycles += CYCLES.stringElement;
    return;
  }
  // memcpy and memset in kernels are "rep movsl"/"rep stosl" (plus a byte tail):
  // with 32-bit addresses those go a page at a time when they can, either way.
  const fast = run !== null && !cpu.a16;
  const whileEqual = cpu.rep === 1;
  const allowance = elementAllowance(cpu);
  let n = counter(cpu);
  let done = 0;
  try {
    while (n !== 0) {
      if (done === allowance) return resumeLater(cpu);
      let k = fast ? run(cpu, size, seg, Math.min(n, allowance - done), delta) : 0;
      let more = true;
      if (k === 0) {
        more = once(cpu, size, seg, delta) === whileEqual || !compares;
        k = 1;
      }
      n -= k;
      done += k;
      setCounter(cpu, n);
      if (!more) return;
    }
  } finally {
    // Also when an element faults: the elements before it were done, and cost their cycles.
    if (done > 1) cpu.chargeBudget(done - 1);
    cpu.committedCycles += done * CYCLES.stringElement;
  }
}

/**
 * Up to `max` elements of a repeated instruction in one typed-array operation,
 * in the direction of `delta`; 0 when the slow path must take the next.
 */
type Run = (cpu: CPU, size: number, seg: number, max: number, delta: number) => number;

/**
 * How many `size`-byte elements, the first at `lin` and each `delta` from the
 * last, lie whole inside the page of the first: 0 when the first crosses into the next page.
 */
function elementsInPage(lin: number, size: number, delta: number): number {
  const offset = lin & 0xfff;
  if (delta > 0) return (0x1000 - offset) >>> (size >>> 1);
  return offset + size > 0x1000 ? 0 : (offset >>> (size >>> 1)) + 1;
}

// ---- MOVS ------------------------------------------------------------------------

const movsOnce: Iteration = (cpu, size, seg, delta) => {
  const v = cpu.readMem(cpu.linear(seg, sourceIndex(cpu), size), size);
  cpu.writeMem(cpu.linear(Seg.ES, destIndex(cpu), size), size, v);
  advance(cpu, Reg.ESI, delta);
  advance(cpu, Reg.EDI, delta);
  return true;
};

/**
 * Copy up to `max` elements in one typed-array operation, when the
 * element-by-element loop would find every access in the TLB: both runs stay
 * inside one page each, the source page is readable RAM and the destination
 * page writable RAM at the current CPL. Returns how many elements it copied
 * (0: let the slow path take the next element, and fault or refill the TLB).
 */
function movsRun(cpu: CPU, size: number, seg: number, max: number, delta: number): number {
  // Segments with limits or null selectors check each element: leave those to the slow path.
  if (cpu.segNeedsCheck[seg] !== 0 || cpu.segNeedsCheck[Seg.ES] !== 0) return 0;
  const src = cpu.linear(seg, cpu.r32[Reg.ESI]);
  const dst = cpu.linear(Seg.ES, cpu.r32[Reg.EDI]);
  const se = cpu.tlb.entries[src >>> 12]!;
  const de = cpu.tlb.entries[dst >>> 12]!;
  if ((se & cpu.readMask) !== TLB_VALID || (de & cpu.writeMask) !== TLB_VALID) return 0;
  let k = Math.min(max, elementsInPage(src, size, delta), elementsInPage(dst, size, delta));
  const sp = ((se & ~0xfff) ^ src) >>> 0;
  const dp = ((de & ~0xfff) ^ dst) >>> 0;
  // An element loop whose destination lies ahead of its source, in the
  // direction it goes, reads bytes it wrote earlier (the classic "propagate a
  // pattern" copy). copyWithin would copy the original bytes instead, so copy
  // at most the distance between the two at a time: within such a run nothing
  // read has been written yet, and later runs read what earlier ones wrote.
  // The check is on physical addresses since two linear pages may alias one frame.
  const ahead = delta > 0 ? dp - sp : sp - dp;
  if (ahead > 0 && ahead < k * size) k = Math.floor(ahead / size);
  if (k === 0) return 0;
  // Going down, the k elements' bytes start k - 1 elements below the first.
  const back = delta > 0 ? 0 : (k - 1) * size;
  const bytes = k * size;
  if (sp - back + bytes > cpu.ramSize || dp - back + bytes > cpu.ramSize) return 0;
  cpu.ram.copyWithin(dp - back, sp - back, sp - back + bytes);
  cpu.r32[Reg.ESI] += k * delta;
  cpu.r32[Reg.EDI] += k * delta;
  return k;
}

function movs(size: number): Op {
  return (cpu) => repeat(cpu, movsOnce, size, cpu.dataSeg(), movsRun, false);
}

// ---- STOS ------------------------------------------------------------------------

const stosOnce: Iteration = (cpu, size, _seg, delta) => {
  cpu.writeMem(cpu.linear(Seg.ES, destIndex(cpu), size), size, accumulator(cpu, size));
  advance(cpu, Reg.EDI, delta);
  return true;
};

/** Fill `bytes` bytes of RAM at physical `p` with copies of the `size`-byte `value`. */
function fillPattern(cpu: CPU, p: number, bytes: number, value: number, size: number): void {
  if (size === 1) cpu.ram.fill(value, p, p + bytes);
  else if (size === 4 && (p & 3) === 0) cpu.ram32.fill(value, p >>> 2, (p + bytes) >>> 2);
  else if (size === 2 && (p & 1) === 0) cpu.ram16.fill(value, p >>> 1, (p + bytes) >>> 1);
  else {
    // Unaligned: lay down one element, then double the filled part until done.
    for (let i = 0; i < size; i++) cpu.ram[p + i] = value >>> (8 * i);
    for (let filled = size; filled < bytes; filled *= 2) {
      cpu.ram.copyWithin(p + filled, p, p + Math.min(filled, bytes - filled));
    }
  }
}

/** The STOS counterpart of movsRun: fill up to `max` elements within one writable RAM page. */
function stosRun(cpu: CPU, size: number, _seg: number, max: number, delta: number): number {
  if (cpu.segNeedsCheck[Seg.ES] !== 0) return 0;
  const dst = cpu.linear(Seg.ES, cpu.r32[Reg.EDI]);
  const e = cpu.tlb.entries[dst >>> 12]!;
  if ((e & cpu.writeMask) !== TLB_VALID) return 0;
  const k = Math.min(max, elementsInPage(dst, size, delta));
  // Going down, the lowest element is the last one stored; the pattern is the same from either end.
  const low = (((e & ~0xfff) ^ dst) >>> 0) - (delta > 0 ? 0 : (k - 1) * size);
  if (k === 0 || low + k * size > cpu.ramSize) return 0;
  fillPattern(cpu, low, k * size, accumulator(cpu, size), size);
  cpu.r32[Reg.EDI] += k * delta;
  return k;
}

function stos(size: number): Op {
  return (cpu) => repeat(cpu, stosOnce, size, Seg.ES, stosRun, false);
}

// ---- LODS ------------------------------------------------------------------------

const lodsOnce: Iteration = (cpu, size, seg, delta) => {
  const v = cpu.readMem(cpu.linear(seg, sourceIndex(cpu), size), size);
  if (size === 1) cpu.r8[0] = v;
  else if (size === 2) cpu.r16[0] = v;
  else cpu.r32[0] = v;
  advance(cpu, Reg.ESI, delta);
  return true;
};

function lods(size: number): Op {
  return (cpu) => repeat(cpu, lodsOnce, size, cpu.dataSeg(), null, false);
}

// ---- CMPS and SCAS: REPE / REPNE ---------------------------------------------------

// Each sets the flags as CMP does and says whether the operands were equal (ZF).

// SDM "CMPS": temp <- SRC1 - SRC2 with SRC1 = DS:ESI and SRC2 = ES:EDI.
const cmpsOnce: Iteration = (cpu, size, seg, delta) => {
  const a = cpu.readMem(cpu.linear(seg, sourceIndex(cpu), size), size);
  const b = cpu.readMem(cpu.linear(Seg.ES, destIndex(cpu), size), size);
  advance(cpu, Reg.ESI, delta);
  advance(cpu, Reg.EDI, delta);
  alu(cpu, CMP, a, b, size);
  return a === b;
};

// SDM "SCAS": temp <- AL/AX/EAX - ES:EDI.
const scasOnce: Iteration = (cpu, size, _seg, delta) => {
  const a = accumulator(cpu, size);
  const b = cpu.readMem(cpu.linear(Seg.ES, destIndex(cpu), size), size);
  advance(cpu, Reg.EDI, delta);
  alu(cpu, CMP, a, b, size);
  return a === b;
};

function compare(once: Iteration, size: number): Op {
  return (cpu) => repeat(cpu, once, size, cpu.dataSeg(), null, true);
}

// ---- INS and OUTS ------------------------------------------------------------------


const insOnce: Iteration = (cpu, size, _seg, delta) => {
  const lin = cpu.linear(Seg.ES, destIndex(cpu), size);
  // Reading a device port has side effects (a UART's receive buffer pops), so a
  // page fault on the store must come first or the restarted INS would lose a
  // byte. QEMU orders it the same way.
  cpu.prepareWrite(lin, size);
  const port = cpu.r16[Reg16.DX];
  if (cpu.ioBreakpoints !== 0) noteIoAccess(cpu, port, size);
  const v = size === 1 ? cpu.io.in8(port) : size === 2 ? cpu.io.in16(port) : cpu.io.in32(port);
  cpu.committedCycles += CYCLES.portIo;
  cpu.writeMem(lin, size, v);
  advance(cpu, Reg.EDI, delta);
  return true;
};

const outsOnce: Iteration = (cpu, size, seg, delta) => {
  const v = cpu.readMem(cpu.linear(seg, sourceIndex(cpu), size), size);
  const port = cpu.r16[Reg16.DX];
  if (cpu.ioBreakpoints !== 0) noteIoAccess(cpu, port, size);
  if (size === 1) cpu.io.out8(port, v);
  else if (size === 2) cpu.io.out16(port, v);
  else cpu.io.out32(port, v);
  cpu.committedCycles += CYCLES.portIo;
  advance(cpu, Reg.ESI, delta);
  return true;
};

// The I/O permission check comes before the count is looked at, as in QEMU:
// "rep insb" with ECX = 0 at CPL > IOPL still raises #GP(0) if the port is denied.
function ins(size: number): Op {
  return (cpu) => {
    checkIoPermission(cpu, cpu.r16[Reg16.DX], size);
    repeat(cpu, insOnce, size, Seg.ES, null, false);
  };
}

function outs(size: number): Op {
  return (cpu) => {
    checkIoPermission(cpu, cpu.r16[Reg16.DX], size);
    repeat(cpu, outsOnce, size, cpu.dataSeg(), null, false);
  };
}

// ---- opcode map ----------------------------------------------------------------------

def(0x6c, ins(1));
def2(0x6d, ins(4), ins(2));
def(0x6e, outs(1));
def2(0x6f, outs(4), outs(2));
def(0xa4, movs(1));
def2(0xa5, movs(4), movs(2));
def(0xa6, compare(cmpsOnce, 1));
def2(0xa7, compare(cmpsOnce, 4), compare(cmpsOnce, 2));
def(0xaa, stos(1));
def2(0xab, stos(4), stos(2));
def(0xac, lods(1));
def2(0xad, lods(4), lods(2));
def(0xae, compare(scasOnce, 1));
def2(0xaf, compare(scasOnce, 4), compare(scasOnce, 2));

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

/**
 * MOVS or STOS without a prefix (DS and ES, 32-bit addresses), as the
 * interpreter's single iteration: read, write, step ESI/EDI by DF, then the
 * element's cycle, charged once the element is done.
 */
function stringCode(c: InstructionCompiler, movs: boolean, size: number): string {
  const bits = size * 8;
  // Through the compiler's linear addresses, so that the block's memory fast paths apply to both accesses.
  const load = movs ? `${c.linear(at(Reg.ESI, DS), size)} x = cpu.read${bits}(a);` : `x = ${size === 4 ? 'r32[0]' : 'r8[0]'};`;
  return `${load} ${c.linear(at(Reg.EDI, Seg.ES), size)} cpu.write${bits}(a, x); ` +
    `y = (cpu.flags & ${DF}) !== 0 ? ${-size} : ${size};${movs ? ' r32[6] += y;' : ''} r32[7] += y; ` +
    `cpu.committedCycles += ${CYCLES.stringElement};`;
}

emit(0xa4, (c) => c.straight(stringCode(c, true, 1)));
emit(0xa5, (c) => c.straight(stringCode(c, true, 4)));
emit(0xaa, (c) => c.straight(stringCode(c, false, 1)));
emit(0xab, (c) => c.straight(stringCode(c, false, 4)));
