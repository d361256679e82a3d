// One test, one fresh machine: boot the kernel with the test's modules and
// input, record what the guest did (bounded: a hostile kernel decides how much
// it writes and how many events it raises), evaluate the checks and turn it all
// into a TestResult. Nothing here depends on other tests, and the host clock
// only through the optional wall-clock backstop (`wallClockMs`, read with
// performance.now()): a run it does not cut short gives a deep-equal result
// for the same inputs every time.

import { addressSpacesOf } from './address-spaces.ts';
import { scheduleOf } from './schedule.ts';
import { ConfigError, hostStack, type RunResult } from '../../engine/config.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { formatEvent } from '../../engine/inspect/format-event.ts';
import { disassemble, startDisassembler } from '../../engine/inspect/disassemble.ts';
import { Machine } from '../../engine/machine.ts';
import type { CheckResult, GuestLocation, RunEnd, TestResult } from '../model.ts';
import { checkPoints, DIRECTORY_LOAD_LIMIT, EVENT_LIMIT, MACHINE_REMOVED, SpecError, type DirectoryLoad, type TestRun, type TestSpec } from '../api/spec.ts';
import type { DirectoryEntry } from '../../engine/inspect/page-walk.ts';
import { roundPoints } from '../scoring/score.ts';
import { diagnose, outputLine } from '../scoring/diagnosis.ts';
import { testMachineConfig, unknownProgram } from './test-machine.ts';
import { messageOf } from '../messages.ts';

export interface RunDefaults {
  ramMiB: number;
  maxInstructions: number;
  maxOutputBytes: number;
}

/** What every test of a grading run shares: the built kernel and user programs. */
export interface TestInputs {
  kernel: Uint8Array;
  /** Name for diagnostics (default "kernel.elf"). */
  kernelName?: string;
  /** Program name -> built ELF, for the tests' modules. */
  programs: Record<string, Uint8Array>;
  defaults: RunDefaults;
}

/** How the runner names a test; results are sorted by id. */
export interface TestIdentity {
  id: string;
  hidden: boolean;
}

/** Serial output kept for the checks; the engine's output limit usually stops a flood well before. */
export const SERIAL_RECORD_LIMIT = 4 << 20;
/** Serial output kept in a TestResult: its start and its end, with a marker between. */
export const SERIAL_RESULT_LIMIT = 64 << 10;
/** Timeline entries kept before the end of the run. */
export const TIMELINE_LENGTH = 20;
/** A reason is one line for a summary table, long enough for a headline that quotes an output line in full. */
const REASON_LIMIT = 480;

/** A burst of output bytes shown as one timeline line instead of one line per byte. */
interface OutputBurst {
  type: 'output-burst';
  icount: number;
  source: string;
  text: string;
}

type TimelineEntry = EngineEvent | OutputBurst;

/** Records the event stream within fixed bounds while the machine runs. */
class Recorder {
  readonly events: EngineEvent[] = [];
  eventsDropped = 0;
  readonly directoryLoads: DirectoryLoad[] = [];
  /** Grows by doubling up to SERIAL_RECORD_LIMIT: most runs print a few hundred bytes. */
  private serialBytes = new Uint8Array(4096);
  serialLength = 0;
  serialTotal = 0;
  /** Start of each output burst: serial offset and instruction count, for serialIcount. */
  readonly marks: { offset: number; icount: number }[] = [];
  private readonly timeline: TimelineEntry[] = [];
  private lastWasOutput = false;

  /** Reads the kernel half of the directory at a physical address, while the machine runs. */
  constructor(private readonly kernelHalfOf: (directory: number) => DirectoryEntry[]) {}

  /** Port accesses come only when the spec records them (see runTest's subscription); they stay off the timeline. */
  readonly listener = (e: EngineEvent): void => {
    if (e.type === 'output') {
      this.output(e.icount, e.source, e.byte);
      return;
    }
    if (e.type === 'cr-write' && e.cr === 3) this.directoryLoad(e.icount, e.value);
    if (e.type !== 'port') {
      this.lastWasOutput = false;
      this.pushTimeline(e);
    }
    if (this.events.length < EVENT_LIMIT) this.events.push(e);
    else this.eventsDropped++;
  };

  private directoryLoad(icount: number, cr3: number): void {
    if (this.directoryLoads.length >= DIRECTORY_LOAD_LIMIT) return;
    const directory = (cr3 & ~0xfff) >>> 0;
    const entries = this.kernelHalfOf(directory);
    const previous = this.directoryLoads.at(-1)?.kernelHalf;
    const same = previous !== undefined && previous.every((pde, i) => pde.raw === entries[i]?.raw);
    this.directoryLoads.push({ icount, directory, kernelHalf: same ? previous : entries });
  }

  private output(icount: number, source: string, byte: number): void {
    this.serialTotal++;
    if (this.serialLength === this.serialBytes.length && this.serialLength < SERIAL_RECORD_LIMIT) {
      const bigger = new Uint8Array(Math.min(SERIAL_RECORD_LIMIT, this.serialLength * 2));
      bigger.set(this.serialBytes);
      this.serialBytes = bigger;
    }
    if (this.serialLength < this.serialBytes.length) this.serialBytes[this.serialLength++] = byte;
    const last = this.timeline[this.timeline.length - 1];
    if (this.lastWasOutput && last?.type === 'output-burst' && last.source === source) {
      if (last.text.length < 200) last.text += String.fromCharCode(byte);
      return;
    }
    this.lastWasOutput = true;
    if (this.marks.length < EVENT_LIMIT) this.marks.push({ offset: this.serialTotal - 1, icount });
    this.pushTimeline({ type: 'output-burst', icount, source, text: String.fromCharCode(byte) });
  }

  private pushTimeline(entry: TimelineEntry): void {
    this.timeline.push(entry);
    // Trimming in batches keeps this O(1) amortized without a ring buffer's bookkeeping.
    if (this.timeline.length > TIMELINE_LENGTH * 4) this.timeline.splice(0, this.timeline.length - TIMELINE_LENGTH);
  }

  serial(): string {
    return Buffer.from(this.serialBytes.buffer, 0, this.serialLength).toString('latin1');
  }

  timelineLines(): string[] {
    return this.timeline.slice(-TIMELINE_LENGTH).map((t) =>
      t.type === 'output-burst'
        ? outputLine(t.icount, t.text, t.source)
        : formatEvent(t),
    );
  }
}

function oneLine(text: string, limit = REASON_LIMIT): string {
  const line = text.replace(/\s*\n\s*/g, ' ').trim();
  return line.length > limit ? line.slice(0, limit - 1) + '…' : line;
}

function shortenSerial(serial: string): string {
  if (serial.length <= SERIAL_RESULT_LIMIT) return serial;
  const half = SERIAL_RESULT_LIMIT / 2;
  return `${serial.slice(0, half)}\n[… ${serial.length - SERIAL_RESULT_LIMIT} bytes not shown …]\n${serial.slice(-half)}`;
}

/** The reason a test stopped by the wall-clock backstop gets, wherever it ran. */
export function wallClockMessage(limitMs: number): string {
  return `the test ran longer than ${Math.round(limitMs / 1000)} s of host time and was stopped (the instruction budget did not end it first)`;
}

/**
 * Run one test on a fresh machine. Never throws: a broken test or check becomes
 * an 'error' result. With `wallClockMs`, a run still going after that much host
 * time is stopped and fails as 'wall-clock' (the backstop when no worker
 * thread can be terminated instead).
 */
export function runTest(
  spec: TestSpec,
  inputs: TestInputs,
  identity: TestIdentity = { id: spec.name, hidden: false },
  wallClockMs?: number,
): TestResult {
  const base = resultBase(spec, identity);
  const unknown = unknownProgram(spec, inputs.programs);
  if (unknown !== undefined) return errorResult(base, 'grader-error', unknown);

  // A failing test's diagnosis disassembles; the disassembler's thread loads while this test runs.
  startDisassembler();
  const deadline = wallClockMs === undefined ? undefined : performance.now() + wallClockMs;
  let machine: Machine;
  try {
    machine = new Machine(testMachineConfig(spec, inputs), deadline === undefined ? {} : { shouldStop: () => performance.now() > deadline });
  } catch (e) {
    // ConfigError: the student's kernel or a module cannot be loaded; that is a failed test, not a broken grader.
    if (e instanceof ConfigError) return errorResult(base, 'boot-error', `the kernel does not boot: ${messageOf(e)}`);
    return internalErrorResult(base, `cannot start the machine: ${messageOf(e)}`, e);
  }
  const recorder = new Recorder((directory) => machine.inspect.kernelDirectoryEntries(directory));
  try {
    machine.subscribe(recorder.listener, { ports: spec.recordPortEvents ?? false });
    let result: RunResult;
    try {
      result = machine.run();
    } catch (e) {
      // A bug of ours inside the engine: the grader's error, never the student's failure.
      return internalErrorResult(base, messageOf(e), e);
    }
    if (result.reason === 'stopped' && deadline !== undefined) return errorResult(base, 'wall-clock', wallClockMessage(wallClockMs!));
    return judge(base, spec, machine, result, recorder);
  } finally {
    // Nothing keeps the machine once the result is made, whichever way: its memory goes to the next test's.
    machine.release();
  }
}

/** A grader error from a bug of ours, with the whole stack kept for us (see TestResult.internalError). */
function internalErrorResult(base: ResultBase, message: string, error: unknown): TestResult {
  return {
    ...errorResult(base, 'grader-error', `grader error (a bug in ringlab, not in the kernel): ${message}`),
    internalError: hostStack(error),
  };
}

/** The checks' verdicts on a finished run, as a result. */
function judge(base: ResultBase, spec: TestSpec, machine: Machine, result: RunResult, recorder: Recorder): TestResult {
  const serial = recorder.serial();
  const run = makeTestRun(spec, machine, result, serial, recorder);
  const points = checkPoints(spec);
  const checks: CheckResult[] = [];
  let threw: string | null = null;
  spec.checks.forEach((c, i) => {
    const p = points[i];
    const withPoints = p !== undefined ? { points: roundPoints(p) } : {};
    try {
      const o = c.evaluate(run);
      checks.push({
        name: c.name, passed: o.passed === true, ...withPoints,
        ...(o.passed ? {} : {
          ...(o.expected !== undefined ? { expected: String(o.expected) } : {}),
          ...(o.observed !== undefined ? { observed: String(o.observed) } : {}),
          ...(o.where ? { where: { ...o.where } } : {}),
        }),
      });
    } catch (e) {
      threw ??= `grader error: check '${c.name}' threw: ${messageOf(e)}`;
      checks.push({ name: c.name, passed: false, ...withPoints, expected: 'the check to evaluate', observed: `it threw: ${oneLine(messageOf(e))}` });
    }
  });

  const allPassed = checks.every((c) => c.passed);
  const score = spec.partialCredit
    ? Math.min(spec.points, checks.reduce((sum, c) => sum + (c.passed ? c.points ?? 0 : 0), 0))
    : allPassed ? spec.points : 0;
  const status: TestResult['status'] = threw ? 'error' : allPassed ? 'passed' : 'failed';
  // The headline is the run's decisive evidence, which is not always the first failed check.
  const diagnosis = status === 'failed' ? diagnose(run, checks) : undefined;
  const reason = threw ?? diagnosis?.headline ?? '';
  const spaces = status === 'failed' ? addressSpacesOf(run) : [];
  const schedule = status === 'failed' || (spec.showSchedule === true && status === 'passed') ? scheduleOf(run) : undefined;

  return {
    ...base,
    score: roundPoints(score),
    status,
    reason: oneLine(reason),
    ...(diagnosis ? { diagnosis: { ...diagnosis, headline: oneLine(diagnosis.headline) } } : {}),
    ...(spaces.length > 0 ? { addressSpaces: spaces } : {}),
    ...(schedule ? { schedule } : {}),
    checks,
    run: {
      end: result.reason,
      message: result.message,
      ...(result.exitStatus !== undefined ? { exitStatus: result.exitStatus } : {}),
      instructions: result.instructions,
    },
    serial: shortenSerial(serial),
    screen: machine.screen(),
    timeline: recorder.timelineLines(),
    registers: { ...machine.registers() },
  };
}

function makeTestRun(spec: TestSpec, machine: Machine, result: RunResult, serial: string, recorder: Recorder): TestRun {
  const instructionAt = (eip: number): string | undefined => {
    const bytes = machine.peekLinear(eip | 0, 15);
    if (!bytes || bytes.length === 0) return undefined;
    const d = disassemble(bytes, eip >>> 0);
    return d.length > 0 ? d.text : undefined;
  };
  const location = (icount: number, cs: number, eip: number): GuestLocation => {
    const instruction = instructionAt(eip);
    return { icount, cs: cs & 0xffff, eip: eip >>> 0, ...(instruction !== undefined ? { instruction } : {}) };
  };
  const run: TestRun = {
    spec,
    result,
    serial,
    serialTruncated: recorder.serialTotal > recorder.serialLength,
    events: recorder.events,
    eventsDropped: recorder.eventsDropped,
    directoryLoads: recorder.directoryLoads,
    inspect: machine.inspect,
    locate(e) {
      switch (e.type) {
        case 'interrupt': return location(e.icount, e.fromCs, e.fromEip);
        case 'iret': case 'far-call': case 'far-return': case 'sysenter': case 'sysexit': return location(e.icount, e.toCs, e.toEip);
        case 'cr-write': return location(e.icount, machine.registers().cs, e.eip);
        default: return undefined;
      }
    },
    endLocation() {
      const r = machine.registers();
      return location(result.instructions, r.cs, r.eip);
    },
    serialIcount(offset) {
      let found: number | undefined;
      for (const m of recorder.marks) {
        if (m.offset > offset) break;
        found = m.icount;
      }
      return found;
    },
    instructionAt,
  };
  // A spec written for the old API still compiles (esbuild checks no types): it must stop here, not read undefined.
  Object.defineProperty(run, 'machine', { get: () => { throw new SpecError(MACHINE_REMOVED); } });
  return run;
}

/** What a result says about its test before anything ran. */
type ResultBase = Pick<TestResult, 'id' | 'name' | 'visibility' | 'hidden' | 'maxScore'>;

export function resultBase(spec: TestSpec, identity: TestIdentity): ResultBase {
  return { id: identity.id, name: spec.name, visibility: spec.visibility, hidden: identity.hidden, maxScore: spec.points };
}

/** A result for a test that produced no run of its own: a broken spec, a crashed worker, the wall-clock backstop. */
export function errorResult(
  base: ResultBase,
  end: RunEnd,
  message: string,
): TestResult {
  const line = oneLine(message);
  return {
    ...base,
    score: 0,
    // The backstop, a failed build and an unbootable kernel are the kernel's doing; anything else is the grader's.
    status: end === 'wall-clock' || end === 'build-error' || end === 'boot-error' ? 'failed' : 'error',
    reason: line,
    checks: [],
    run: { end, message: line, instructions: 0 },
    serial: '',
    screen: [],
    timeline: [],
    registers: {},
  };
}
