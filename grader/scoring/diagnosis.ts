// Why a failed test failed, in the one line a student reads first (the
// test's headline), with the events that led to it. The first failed check
// is often only a symptom ("hello: pid 1 in ring 3" never printed); the cause
// is usually in the run itself, and diagnose() looks for it there first, in
// this order:
//
//   1. the machine stopped: a triple fault's chain, or something the lab PC
//      does not model, as the engine reports it;
//   2. the earliest thing the test does not allow: a device interrupt on an
//      exception vector, an exception taken in ring 0 or a panic line (in a
//      test that forbids panics), an exception raised in ring 3 that the test
//      did not provoke; each with the CPU's reason (the SDM rule it broke);
//   3. how the run ended, when it did not end on its own: an output flood, the
//      instruction budget spent in a loop or an exception storm, a HLT that no
//      interrupt can end;
//   4. the checks: the first that found the kernel's protection set-up wrong
//      (a cause), else the first that failed (a symptom).
//
// What a test allows comes from its checks' roles (spec.ts, CheckRole): a
// test with noPanic() forbids panics and exceptions in ring 0, and
// processKilled() provokes the ring-3 exception it names.

import { vectorName } from '../../engine/cpu/exceptions.ts';
import type { EngineEvent, InterruptEvent } from '../../engine/events.ts';
import { formatEvent } from '../../engine/inspect/format-event.ts';
import { csEip, hexDigits, icountColumn } from '../../engine/hex.ts';
import { hex, quote } from '../api/checks.ts';
import type { CheckResult, Diagnosis, GuestLocation } from '../model.ts';
import type { TestRun } from '../api/spec.ts';
import { firstLine } from '../messages.ts';

/** Events shown before the decisive one: enough to see how the kernel got there. */
const LEADING_EVENTS = 6;
/** Exceptions at one place in a row that make a storm (the handler returns to the faulting instruction). */
const STORM = 3;
/** Guest text quoted in a headline is cut past this many characters, saying so. */
const QUOTE_LIMIT = 160;
const IF = 0x200;

export function diagnose(run: TestRun, checks: readonly CheckResult[]): Diagnosis {
  return machineStop(run) ?? firstUnexpected(run) ?? unfinishedEnd(run) ?? fromChecks(run, checks);
}

// ---- 1. the machine stopped ------------------------------------------------------

function machineStop(run: TestRun): Diagnosis | undefined {
  const { reason, message } = run.result;
  if (reason !== 'triple-fault' && reason !== 'unsupported') return undefined;
  const text = withoutRecentInstructions(message);
  const headline = reason === 'triple-fault' ? tripleFaultHeadline(text) : text;
  return { headline, events: leadingEvents(run, run.events.length), where: run.endLocation() };
}

/** The engine appends the last instructions to a stop message; the report shows them elsewhere. */
function withoutRecentInstructions(message: string): string {
  return message.replace(/; (last instructions: |run with --trace).*$/s, '');
}

/** One step of the engine's chain: "#PF page fault (error code 0002) [why] at 001b:0804807b int $0x80". */
const CHAIN_STEP = /^(.*?)(?: \(error code ([0-9a-f]+)\))?(?: \[(.*)\])?(?: at (.*))?$/s;

/**
 * The engine's chain ("triple fault: A at LOC; delivering it raised B;
 * delivering it raised C") told as what could not be delivered and why: most
 * triple faults are one cause (a stack the CPU cannot push on) hit by every
 * delivery in turn, and then the cause is said once.
 */
export function tripleFaultHeadline(message: string): string {
  const chain = message.replace(/^triple fault: /, '').split('; delivering it raised ');
  const steps = chain.map((s) => CHAIN_STEP.exec(s)).filter((s) => s !== null);
  const [first] = steps;
  if (!first || steps.length !== chain.length) return message;
  const at = first[4];
  const ring = at && /^[0-9a-f]{4}:/.test(at) ? ` (ring ${parseInt(at.slice(0, 4), 16) & 3})` : '';
  let origin = '';
  const failed: { what: string; why: string }[] = [];
  for (const [i, step] of steps.entries()) {
    const detail = step[3] ?? '';
    const delivering = /^delivering (.+?): (.*)$/s.exec(detail);
    if (delivering) {
      const [, what = '', why = ''] = delivering;
      failed.push({ what, why });
    } else if (i === 0) origin = `${step[1]}${detail ? ` (${detail})` : ''}, then `;
    else failed.push({ what: 'it', why: `${step[1]}${detail ? `: ${detail}` : ''}` });
  }
  const where = at ? ` at ${at}${ring}` : '';
  const [firstFailure] = failed;
  if (firstFailure === undefined) return `triple fault${where}: ${first[1]}`;
  const sameWhy = failed.every((f) => f.why === firstFailure.why);
  const deliveries = sameWhy
    ? `delivering ${failed.map((f) => f.what).join(', then ')} failed ${failed.length > 1 ? 'each time' : ''}: ${firstFailure.why}`
    : failed.map((f) => `delivering ${f.what} failed: ${f.why}`).join('; ');
  return `triple fault${where}: ${origin}${deliveries}`.replace(/ {2,}/g, ' ');
}

// ---- 2. the earliest thing the test does not allow ---------------------------------

interface Allowed {
  /** Panic lines are a failure (and so is any exception taken in ring 0). */
  panic: RegExp | undefined;
  /** Exception vectors the test makes a ring-3 program raise. */
  provoked: Set<number>;
}

function allowedBy(run: TestRun): Allowed {
  let panic: RegExp | undefined;
  const provoked = new Set<number>();
  for (const c of run.spec.checks) {
    panic ??= c.role?.forbidsPanic;
    for (const v of c.role?.provokes ?? []) provoked.add(v);
  }
  return { panic, provoked };
}

/**
 * The kernel handled a ring-3 exception and let the program go on: the next
 * entry to ring 3 returns to the faulting instruction, with no CR3 load in
 * between (demand paging: a stack page, a copy-on-write copy). A process
 * killed for it is left: its address space goes with it.
 */
function resumed(run: TestRun, index: number): boolean {
  const fault = run.events[index] as InterruptEvent;
  for (let i = index + 1; i < run.events.length; i++) {
    const e = run.events[i]!;
    if (e.type === 'cr-write' && e.cr === 3) return false;
    if ((e.type === 'iret' || e.type === 'sysexit') && e.toCpl === 3) return e.toCs === fault.fromCs && e.toEip === fault.fromEip;
  }
  return false;
}

function firstUnexpected(run: TestRun): Diagnosis | undefined {
  const allowed = allowedBy(run);
  const panic = allowed.panic ? panicLine(run, allowed.panic) : undefined;
  const index = run.events.findIndex((e, i) =>
    e.type === 'interrupt' && (
      (e.kind === 'external' && e.vector < 0x20)
      || (e.kind === 'exception' && e.fromCpl === 0 && allowed.panic !== undefined)
      || (e.kind === 'exception' && e.fromCpl === 3 && !allowed.provoked.has(e.vector) && !resumed(run, i))
    ));
  const event = run.events[index] as InterruptEvent | undefined;
  if (event && (panic?.icount === undefined || event.icount <= panic.icount)) {
    const then = panic ? `; then the kernel printed ${quote(panic.line, QUOTE_LIMIT)}` : '';
    const headline = event.kind === 'external' ? strayInterrupt(run, event) : unexpectedException(run, index, event);
    return {
      headline: headline + then,
      events: [...leadingEvents(run, index + 1), ...(panic ? [outputLine(panic.icount, panic.line)] : [])],
      ...located(run.locate(event)),
    };
  }
  if (!panic) return undefined;
  const before = panic.icount === undefined ? run.events.length : run.events.findIndex((e) => e.icount > panic.icount!);
  return {
    headline: `the kernel panicked: ${quote(panic.line, QUOTE_LIMIT)}${panic.icount !== undefined ? ` (around instruction ${panic.icount})` : ''}`,
    events: [...leadingEvents(run, before < 0 ? run.events.length : before), outputLine(panic.icount, panic.line)],
  };
}

/** The first output line matching the test's panic pattern, as noPanic() finds it. */
function panicLine(run: TestRun, pattern: RegExp): { line: string; icount: number | undefined } | undefined {
  const m = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(run.serial);
  if (!m) return undefined;
  const start = run.serial.lastIndexOf('\n', m.index) + 1;
  const end = run.serial.indexOf('\n', m.index);
  return { line: run.serial.slice(start, end < 0 ? undefined : end), icount: run.serialIcount(m.index) };
}

/** A device interrupt on vectors 0-31, which the CPU reserves for its exceptions: the PIC was not remapped. */
function strayInterrupt(run: TestRun, e: InterruptEvent): string {
  const pic = run.inspect.pic();
  const chip = [pic.master, pic.slave].find((c) => e.vector >= c.base && e.vector < c.base + 8);
  const irq = chip === undefined ? '' : ` (IRQ ${e.vector - chip.base + (chip === pic.slave ? 8 : 0)})`;
  return `a device interrupt${irq} arrived on vector ${hex(e.vector, 2)}, which the CPU reserves for ${vectorName(e.vector)}: `
    + `the PIC delivers on vectors ${hex(pic.master.base, 2)}-${hex(pic.master.base + 7, 2)} and ${hex(pic.slave.base, 2)}-${hex(pic.slave.base + 7, 2)}; remap it above 0x1f (ICW2)`;
}

/** "the kernel took #PF page fault in ring 0 at 0008:001024d0 (movsbl (%ebx),%eax), error code 0x0000, CR2 0x07fffff8: why" */
function unexpectedException(run: TestRun, index: number, e: InterruptEvent): string {
  // Kernel code stays put; a program's address may hold another program's code by the end of the run.
  const insn = e.fromCpl === 0 ? run.instructionAt(e.fromEip) : undefined;
  const code = e.errorCode >= 0 ? `, error code ${hex(e.errorCode, 4)}` : '';
  const cr2 = e.cr2 !== undefined ? `, CR2 ${hex(e.cr2)}` : '';
  const why = e.detail ? `: ${e.detail}` : '';
  const what = e.fromCpl === 0 ? 'the kernel took' : 'a program raised';
  const during = e.fromCpl === 0 ? serving(run, index) : '';
  return `${what} ${vectorName(e.vector)} in ring ${e.fromCpl} at ${at(e.fromCs, e.fromEip)}${insn ? ` (${insn})` : ''}${code}${cr2}${why}${during}`;
}

/** What the kernel was doing for ring 3 when it faulted: the entry from ring 3 it had not yet returned from. */
function serving(run: TestRun, index: number): string {
  for (const e of newestFirst(run.events, index)) {
    if ((e.type === 'iret' || e.type === 'sysexit' || e.type === 'far-return') && e.toCpl === 3) return '';
    if (e.type === 'sysenter') return ', in a system call (SYSENTER) from ring 3';
    if (e.type === 'interrupt' && e.fromCpl === 3) {
      const what = e.kind === 'software' ? `a system call (INT ${hex(e.vector, 2)})` : e.kind === 'external' ? `device interrupt vector ${hex(e.vector, 2)}` : vectorName(e.vector);
      return `, while handling ${what} from ring 3 at ${at(e.fromCs, e.fromEip)}`;
    }
  }
  return '';
}

// ---- 3. runs that did not end on their own -----------------------------------------

function unfinishedEnd(run: TestRun): Diagnosis | undefined {
  const where = run.endLocation();
  const stopped = `${at(where.cs, where.eip)}${where.instruction ? ` (${where.instruction})` : ''}`;
  const all = { events: leadingEvents(run, run.events.length), where };
  switch (run.result.reason) {
    case 'output-limit':
      return { headline: `output flood: the guest wrote ${run.result.message.match(/limit of (\d+) bytes/)?.[1] ?? 'its limit of'} bytes and was stopped at ${stopped}; ${repeatedLine(run.serial)}`, ...all };
    case 'budget': {
      const storm = exceptionStorm(run);
      const ring = run.inspect.registers().cpl;
      const quiet = run.result.instructions - Math.max(lastEvent(run)?.icount ?? 0, lastOutputIcount(run));
      const loop = storm ?? `no output and no event in its last ${quiet} instructions`;
      return { headline: `the instruction budget ran out at ${stopped} in ring ${ring}: ${loop}`, ...all };
    }
    case 'halt': {
      if ((run.inspect.registers().eflags & IF) === 0) return undefined;
      // EIP is past the HLT by now; the engine's message names the HLT itself.
      const hlt = /^HLT with interrupts enabled at ([^,]*),/.exec(run.result.message)?.[1] ?? stopped;
      return { headline: stuckHalt(run, hlt), ...all };
    }
    default:
      return undefined;
  }
}

/** The last line of a flood and how often it repeats in the output's end. */
function repeatedLine(serial: string): string {
  const tail = serial.slice(-4096);
  const lines = tail.split('\n').slice(1, -1);
  const last = lines.at(-1) ?? tail;
  const times = lines.filter((l) => l === last).length;
  return times > 1 ? `it keeps printing ${quote(last, QUOTE_LIMIT)} (${times} times in its last 4 KiB)` : `its output ends with ${quote(serial.slice(-QUOTE_LIMIT), QUOTE_LIMIT)}`;
}

/** The same exception at the same place, again and again at the end: its handler returns to the faulting instruction. */
function exceptionStorm(run: TestRun): string | undefined {
  const exceptions = run.events.filter((e): e is InterruptEvent => e.type === 'interrupt' && e.kind === 'exception');
  const last = exceptions.at(-1);
  // A storm lasts to the end: no other event after its last exception.
  if (!last || lastEvent(run) !== last) return undefined;
  let times = 0;
  for (const e of newestFirst(exceptions)) {
    if (e.vector !== last.vector || e.fromEip !== last.fromEip || e.fromCs !== last.fromCs) break;
    times++;
  }
  if (times < STORM) return undefined;
  const why = last.detail ? ` (${last.detail})` : '';
  return `${vectorName(last.vector)} at ${at(last.fromCs, last.fromEip)}${why} was raised ${times} times in a row at the end: its handler returns to the faulting instruction, which faults again`;
}

function lastOutputIcount(run: TestRun): number {
  return run.serial.length === 0 ? 0 : run.serialIcount(run.serial.length - 1) ?? 0;
}

/** HLT with interrupts enabled that nothing can end: which interrupt is blocked, and why. */
function stuckHalt(run: TestRun, at: string): string {
  const { master, slave } = run.inspect.pic();
  const waiting = `the kernel waits in HLT at ${at} with interrupts enabled, but no interrupt can come`;
  const inService = [...bits(master.isr).filter((i) => i !== 2 || slave.isr === 0).map((i) => ({ irq: i, vector: master.base + i })),
    ...bits(slave.isr).map((i) => ({ irq: i + 8, vector: slave.base + i }))];
  const [blocked] = inService;
  if (blocked !== undefined) {
    const { irq, vector } = blocked;
    const last = run.events.filter((e): e is InterruptEvent => e.type === 'interrupt' && e.kind === 'external' && e.vector === vector).at(-1);
    const since = last ? ` since its interrupt on vector ${hex(vector, 2)} at instruction ${last.icount}` : '';
    return `${waiting}: IRQ ${irq} is still in service at the PIC (no EOI was sent${since}), which holds off it and every lower-priority IRQ`;
  }
  if ((master.imr & 0xff) === 0xff) return `${waiting}: the PIC masks every IRQ (IMR ${hex(master.imr, 2)})`;
  return `${waiting}: ${run.result.message.replace(/^HLT with interrupts enabled at [^,]*, but /, '')}`;
}

function bits(value: number): number[] {
  return [0, 1, 2, 3, 4, 5, 6, 7].filter((i) => (value & (1 << i)) !== 0);
}

// ---- 4. the checks ---------------------------------------------------------------

function fromChecks(run: TestRun, checks: readonly CheckResult[]): Diagnosis {
  const failed = checks.filter((c) => !c.passed);
  const cause = failed.find((c) => run.spec.checks.find((s) => s.name === c.name)?.role?.cause);
  const check = cause ?? failed[0];
  if (!check) return { headline: `${run.result.reason}: ${firstLine(run.result.message)}`, events: leadingEvents(run, run.events.length) };
  const before = check.where ? run.events.findIndex((e) => e.icount > check.where!.icount) : -1;
  return {
    headline: checkHeadline(check),
    events: leadingEvents(run, before < 0 ? run.events.length : before),
    ...located(check.where),
  };
}

/** What the check saw, and what it wanted unless the observation already quotes it. */
export function checkHeadline(check: CheckResult): string {
  const observed = check.observed ?? `${check.name}: failed`;
  if (check.expected === undefined) return observed;
  const wanted = /^"(?:[^"\\]|\\.)*"/.exec(check.expected)?.[0];
  return wanted !== undefined && observed.includes(wanted) ? observed : `${observed}; expected ${check.expected}`;
}

// ---- the events that led to it ---------------------------------------------------

/**
 * The events before `end` (an index into run.events), the last LEADING_EVENTS
 * of them, as report lines; port accesses (a UART poll each) and the end of the
 * run (the headline's subject) are left out.
 */
function leadingEvents(run: TestRun, end: number): string[] {
  const lines: string[] = [];
  for (const e of newestFirst(run.events, end)) {
    if (lines.length === LEADING_EVENTS) break;
    if (e.type !== 'port' && e.type !== 'end') lines.unshift(formatEvent(e));
  }
  return lines;
}

/** The last event the guest caused, the end of the run and port accesses aside. */
function lastEvent(run: TestRun): EngineEvent | undefined {
  for (const e of newestFirst(run.events)) if (e.type !== 'port' && e.type !== 'end') return e;
  return undefined;
}

/** The items before `end`, the newest first. */
function* newestFirst<T>(items: readonly T[], end = items.length): Generator<T> {
  for (let i = Math.min(end, items.length) - 1; i >= 0; i--) yield items[i]!;
}

/** A line of guest output as the report's timeline shows it. */
export function outputLine(icount: number | undefined, text: string, source = 'com1'): string {
  return `${icountColumn(icount)} ${source} output ${JSON.stringify(text)}`;
}

/** CS:EIP as the engine and the report's timeline write it: 0008:001024d0. */
const at = csEip;

function located(where: GuestLocation | undefined): { where?: GuestLocation } {
  return where ? { where } : {};
}
