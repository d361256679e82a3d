// The test API instructors write against: a test is a machine setup plus a list
// of checks, each of which looks at one finished run. Spec modules default-export
// one test or an array of tests; the runner imports them (in a worker thread),
// so a spec must be plain TypeScript with no side effects at import time.

import type { RunResult } from '../../engine/config.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { MachineView } from '../../engine/inspect/machine-view.ts';
import type { DirectoryEntry } from '../../engine/inspect/page-walk.ts';
import { MAX_TEST_INSTRUCTIONS, type GuestLocation, type Visibility } from '../model.ts';
import { firstLine, messageOf } from '../messages.ts';

/** A user program loaded as a Multiboot module. */
export interface ModuleSpec {
  /** Name of a program from the lab manifest; the caller supplies its built ELF. */
  program: string;
  /** Appended to the program name to form the module's command line ("init arg1 arg2"). */
  args?: string;
}

/** What a check reports about one run. */
export interface CheckOutcome {
  passed: boolean;
  /** For a failure: what was wanted, one or two lines. */
  expected?: string;
  /** For a failure: what the run did instead, one or two lines. */
  observed?: string;
  /** Where in the guest the failure shows, when a check can say. */
  where?: GuestLocation;
}

export interface Check {
  /** What the check wants, in a sentence: "serial output contains 'hello'". */
  name: string;
  /** Weight under partial credit; see TestSpec.partialCredit. */
  points?: number;
  /** Reads one finished run (the machine only through run.inspect, which cannot change it); may throw, which makes the test a grader error. */
  evaluate(run: TestRun): CheckOutcome;
  /** What the check tells the diagnosis of a failed test about the run (grader/scoring/diagnosis.ts). */
  role?: CheckRole;
  /**
   * The check forbids something (a panic, a triple fault, a user gate) rather
   * than asks for it, so a run that did nothing passes it: `lab check-spec`
   * does not warn about it for that.
   */
  negative?: boolean;
  /** The texts and patterns the check looks for in the serial output, for `lab check-spec` to read. */
  serialPatterns?: readonly (string | RegExp)[];
}

/**
 * What a check says a correct run does and does not do, so that a failed
 * test's headline names the cause rather than the first symptom.
 */
export interface CheckRole {
  /** Output lines matching this are a kernel panic, which the test does not allow (nor any exception in ring 0). */
  forbidsPanic?: RegExp;
  /** Exception vectors the test makes a ring-3 program raise on purpose: expected, not a cause. */
  provokes?: number[];
  /**
   * The check reads the kernel's protection set-up (descriptor tables, TSS,
   * page directories, the ring code runs in): its failure is a cause, which
   * the headline prefers to missing output or a wrong exit code.
   */
  cause?: boolean;
}

export interface TestSpec {
  name: string;
  points: number;
  visibility: Visibility;
  modules: ModuleSpec[];
  cmdline: string;
  serialInput?: Uint8Array;
  /** Undefined: the lab's default. */
  ramMiB?: number;
  maxInstructions?: number;
  maxOutputBytes?: number;
  /** Keep the last N instructions for checks and reports (slower: the compiler is off while tracing). */
  traceInstructions?: number;
  /** Also record port I/O events (every IN/OUT, including each poll of the UART): off by default, they are many. */
  recordPortEvents?: boolean;
  /** Keep the run's schedule (grader/run/schedule.ts) even when the test passes: failed tests always have it. */
  showSchedule?: boolean;
  checks: Check[];
  /**
   * false (default): all or nothing. true: the sum of the passing checks'
   * points; checks without points share what the others leave equally.
   */
  partialCredit: boolean;
}

/**
 * What a spec passes to defineTest: a TestSpec whose every field but the
 * name, the points and the checks may be left to its default, and whose
 * serial input may be text. One list of fields, so that a new one is
 * settable the moment a test has it.
 */
export type TestSpecInput = Pick<TestSpec, 'name' | 'points' | 'checks'>
  & Partial<Omit<TestSpec, 'name' | 'points' | 'checks' | 'serialInput'>>
  & { serialInput?: string | Uint8Array };

const VISIBILITIES: readonly Visibility[] = ['visible', 'hidden', 'after_due_date', 'after_published'];

/** Thrown for a malformed test spec: an instructor's mistake, reported as a grader error. */
export class SpecError extends Error {
  override name = 'SpecError';
}

/** Validates a test and fills in its defaults; throws SpecError naming the test and the problem. */
export function defineTest(input: TestSpecInput): TestSpec {
  const label = `test '${String(input?.name)}'`;
  if (typeof input?.name !== 'string' || input.name.trim() === '') throw new SpecError('a test needs a non-empty name');
  if (!Number.isFinite(input.points) || input.points < 0) throw new SpecError(`${label}: points must be a number >= 0`);
  const visibility = input.visibility ?? 'visible';
  if (!VISIBILITIES.includes(visibility)) {
    throw new SpecError(`${label}: visibility '${visibility}' is not one of ${VISIBILITIES.join(', ')}`);
  }
  if (!Array.isArray(input.checks) || input.checks.length === 0) throw new SpecError(`${label}: give at least one check`);
  for (const c of input.checks) {
    if (typeof c?.name !== 'string' || typeof c.evaluate !== 'function') {
      throw new SpecError(`${label}: every check needs a name and an evaluate(run) function`);
    }
    if (c.points !== undefined && (!Number.isFinite(c.points) || c.points < 0)) {
      throw new SpecError(`${label}: check '${c.name}' has invalid points`);
    }
  }
  const partialCredit = input.partialCredit ?? false;
  if (partialCredit) {
    const explicit = input.checks.reduce((sum, c) => sum + (c.points ?? 0), 0);
    if (explicit > input.points + 1e-9) {
      throw new SpecError(`${label}: its checks carry ${explicit} points but the test is worth ${input.points}`);
    }
  }
  if (input.maxInstructions !== undefined && !(Number.isSafeInteger(input.maxInstructions) && input.maxInstructions >= 1 && input.maxInstructions <= MAX_TEST_INSTRUCTIONS)) {
    throw new SpecError(`${label}: maxInstructions must be a whole number from 1 to ${MAX_TEST_INSTRUCTIONS}`);
  }
  for (const m of input.modules ?? []) {
    if (typeof m?.program !== 'string' || m.program === '') throw new SpecError(`${label}: a module needs a program name`);
  }
  const serialInput = typeof input.serialInput === 'string' ? Buffer.from(input.serialInput, 'latin1') : input.serialInput;
  return {
    name: input.name,
    points: input.points,
    visibility,
    modules: (input.modules ?? []).map((m) => ({ ...m })),
    cmdline: input.cmdline ?? '',
    ...(serialInput ? { serialInput: new Uint8Array(serialInput) } : {}),
    ...(input.ramMiB !== undefined ? { ramMiB: input.ramMiB } : {}),
    ...(input.maxInstructions !== undefined ? { maxInstructions: input.maxInstructions } : {}),
    ...(input.maxOutputBytes !== undefined ? { maxOutputBytes: input.maxOutputBytes } : {}),
    ...(input.traceInstructions !== undefined ? { traceInstructions: input.traceInstructions } : {}),
    recordPortEvents: input.recordPortEvents ?? false,
    ...(input.showSchedule ? { showSchedule: true } : {}),
    checks: [...input.checks],
    partialCredit,
  };
}

/** The points each check carries under partial credit, in check order (undefined entries: all or nothing). */
export function checkPoints(spec: TestSpec): (number | undefined)[] {
  if (!spec.partialCredit) return spec.checks.map(() => undefined);
  const explicit = spec.checks.reduce((sum, c) => sum + (c.points ?? 0), 0);
  const unweighted = spec.checks.filter((c) => c.points === undefined).length;
  const share = unweighted > 0 ? Math.max(0, spec.points - explicit) / unweighted : 0;
  return spec.checks.map((c) => c.points ?? share);
}

/** The tests a spec module exports, validated (a module may export one test or an array). */
export function testsOfModule(mod: unknown, file: string): TestSpec[] {
  const exported = (mod as { default?: unknown } | null)?.default;
  const list = Array.isArray(exported) ? exported : exported === undefined ? [] : [exported];
  if (list.length === 0) throw new SpecError(`${file}: default-export a test (defineTest({...})) or an array of tests`);
  const names = new Set<string>();
  return list.map((t: unknown) => {
    // Accept an undecorated object too, so a spec that forgot defineTest still gets validated.
    const spec = defineTest(t as TestSpecInput);
    if (names.has(spec.name)) throw new SpecError(`${file}: two tests are named '${spec.name}'; names must be unique in a file`);
    names.add(spec.name);
    return spec;
  });
}

/**
 * Everything a check may look at, after the run has ended. The stopped machine
 * is there only as a read-only view (`inspect`): a check cannot run or change it.
 */
export interface TestRun {
  spec: TestSpec;
  result: RunResult;
  /** COM1 + 0xE9 output (latin1), up to the recording limit. */
  serial: string;
  /** True when the guest wrote more than `serial` holds. */
  serialTruncated: boolean;
  /**
   * Events in order, up to EVENT_LIMIT (the first ones are kept). Output bytes
   * are not here (see `serial`); port I/O only with spec.recordPortEvents.
   */
  events: readonly EngineEvent[];
  /** Events that happened after `events` was full and were not kept. */
  eventsDropped: number;
  /**
   * Every write to CR3, with the kernel half (entries 768-1023) of the
   * directory it loaded, read at that moment: directories freed later are
   * still judged by what they held while in use. Up to DIRECTORY_LOAD_LIMIT
   * (the first ones are kept).
   */
  directoryLoads: readonly DirectoryLoad[];
  /** The stopped machine, read-only: registers, memory, descriptor tables, page tables. */
  inspect: MachineView;
  /** @deprecated Gone: use `inspect`. Reading it throws MACHINE_REMOVED, so an old check fails loudly. */
  readonly machine?: never;
  /** Where an interrupt/exception came from, or where a ring switch went to. */
  locate(event: EngineEvent): GuestLocation | undefined;
  /** Where the run stopped: CS:EIP and the instruction there. */
  endLocation(): GuestLocation;
  /** The retired-instruction count when the serial byte at `offset` was written (approximate to the start of its burst). */
  serialIcount(offset: number): number | undefined;
  /** The disassembled instruction at a flat linear address in the final address space, when mapped. */
  instructionAt(eip: number): string | undefined;
}

/** What a check that still reads `run.machine` stops with (specs are compiled without type checks). */
export const MACHINE_REMOVED = 'run.machine is no longer part of the test API: read the stopped machine through run.inspect, '
  + 'a read-only view (registers(), gdt(), idt(), tss(), readPhysical(), readLinear(), translate(), mappings(), pic(), ...)';

/** A page directory as it was when the kernel loaded it into CR3. */
export interface DirectoryLoad {
  icount: number;
  /** The directory's physical address (CR3 without its flag bits). */
  directory: number;
  /** Its entries 768-1023 at the load; loads of identical halves share one array. */
  kernelHalf: readonly DirectoryEntry[];
}

/** How many CR3 loads a run keeps with their directories. */
export const DIRECTORY_LOAD_LIMIT = 20_000;

/** How many events a run keeps for its checks; a longer run keeps its first ones. */
export const EVENT_LIMIT = 200_000;

/**
 * Import a spec module and return its tests; throws one line naming the file
 * when it cannot. TypeScript specs (and the helpers they import) run from
 * compiled copies, so a course may live anywhere, with or without a package.json.
 */
export async function loadSpecFile(file: string): Promise<TestSpec[]> {
  const { pathToFileURL } = await import('node:url');
  const { compileTypeScript } = await import('../typescript-cache.mjs');
  let mod: unknown;
  try {
    mod = await import(/\.[cm]?ts$/.test(file) ? await compileTypeScript(file) : pathToFileURL(file).href);
  } catch (e) {
    throw new SpecError(`${file}: cannot load the test module: ${firstLine(messageOf(e))}`);
  }
  return testsOfModule(mod, file);
}
