// What the two benchmarks share: building the benchmark kernels, timing one
// run on our engine or under QEMU, the command line, and the arithmetic of
// turning a few noisy samples into figures. Speed is only ever reported here,
// beside QEMU's in the same run; nothing asserts a time.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Machine } from '../../engine/machine.ts';
import type { StopReason } from '../../engine/config.ts';
import { buildKernel, hasQemu, runQemu } from '../fixtures/guest/build-guest.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const KERNELS_DIR = path.join(BENCH_DIR, 'kernels');
const REPO_ROOT = path.resolve(BENCH_DIR, '../..');

/** Rounds of workload.c: about 7.1 million instructions each, so ~400 million in all. */
export const DEFAULT_ROUNDS = 56;

/** A debug-exit with code 0, as exit_qemu(0) gives on both machines. */
const CLEAN_EXIT_STATUS = 1;

// ---- command line -------------------------------------------------------------

export interface BenchOptions {
  /** Engine runs per kernel; the first also warms up V8. */
  runs: number;
  /** QEMU runs per kernel (they are short, so more of them steady the figure). */
  qemuRuns: number;
  rounds: number;
  json: boolean;
  /** False with --no-qemu or when qemu-system-i386 is missing. */
  qemu: boolean;
}

export function parseBenchArgs(argv: string[], usage: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '3' },
      'qemu-runs': { type: 'string', default: '10' },
      rounds: { type: 'string', default: String(DEFAULT_ROUNDS) },
      json: { type: 'boolean', default: false },
      'no-qemu': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  const count = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${text}: give a whole number of at least 1`);
    return n;
  };
  const wantQemu = !values['no-qemu'];
  if (wantQemu && !hasQemu()) progress('qemu-system-i386 not found: reporting the engine alone (install qemu-system-x86)');
  return {
    runs: count('runs', values.runs),
    qemuRuns: count('qemu-runs', values['qemu-runs']),
    rounds: count('rounds', values.rounds),
    json: values.json,
    qemu: wantQemu && hasQemu(),
  };
}

/** Progress goes to stderr so that --json output on stdout stays clean. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

// ---- kernels ------------------------------------------------------------------

/** Builds test/bench/kernels/<name>.c with the workload at -O2; trivial kernels skip the workload. */
export function buildBenchKernel(name: string, rounds: number, withWorkload = true): Promise<string> {
  const sources = [path.join(KERNELS_DIR, `${name}.c`)];
  if (withWorkload) sources.unshift(path.join(KERNELS_DIR, 'workload.c'));
  return buildKernel(sources, { optLevel: 2, defines: withWorkload ? { WORKLOAD_ROUNDS: rounds } : {} });
}

// ---- one run ------------------------------------------------------------------

export interface EngineRun {
  /** Host seconds inside Machine.run() (not loading the kernel, not compiling the engine). */
  seconds: number;
  instructions: number;
  mips: number;
  output: string;
  reason: StopReason;
  exitStatus: number | undefined;
}

export function runOnEngine(kernel: string): EngineRun {
  const chunks: Buffer[] = [];
  const machine = new Machine(
    { kernel: readFileSync(kernel), kernelName: kernel, maxInstructions: 20_000_000_000 },
    { onOutput: (chunk) => chunks.push(Buffer.from(chunk)) },
  );
  const started = performance.now();
  const result = machine.run();
  const seconds = (performance.now() - started) / 1000;
  // As the grader does: the next run's machine gets this one's memory and registers, and so
  // the compiled blocks bound to them (engine/cpu/compile/block-compiler.ts).
  machine.release();
  return {
    seconds,
    instructions: result.instructions,
    mips: result.instructions / seconds / 1e6,
    output: Buffer.concat(chunks).toString('latin1'),
    reason: result.reason,
    exitStatus: result.exitStatus,
  };
}

export interface QemuRun {
  /** Wall seconds from spawning qemu-system-i386 to its exit: start-up included. */
  seconds: number;
  output: string;
  status: number;
}

export async function runUnderQemu(kernel: string): Promise<QemuRun> {
  const started = performance.now();
  const r = await runQemu(kernel, { timeoutMs: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  if (r.timedOut) throw new Error(`${kernel}: QEMU did not finish within 300 s`);
  return { seconds, output: r.serial.toString('latin1'), status: r.status };
}

// ---- checking that the work was done right ----------------------------------------

/** The "checksum xxxxxxxx" line both kernels print; null when it is missing. */
export function checksumOf(output: string): string | null {
  return /^checksum ([0-9a-f]{8})$/m.exec(output)?.[1] ?? null;
}

/** The timer kernel's tick count; null when it is missing. */
export function ticksOf(output: string): number | null {
  const m = /^ticks (\d+)$/m.exec(output);
  return m ? Number(m[1]) : null;
}

/**
 * A benchmark of a wrong run means nothing: every run must end by debug-exit
 * 0 and print the checksum the first one printed. Throws a one-line error.
 */
export class ChecksumCheck {
  expected: string | null = null;

  check(where: string, output: string, endedCleanly: boolean, how: string): void {
    if (!endedCleanly) throw new Error(`${where}: the run did not end by exit_qemu(0) (${how}); output: ${JSON.stringify(output.slice(0, 200))}`);
    const sum = checksumOf(output);
    if (sum === null) throw new Error(`${where}: no checksum line in the output ${JSON.stringify(output.slice(0, 200))}`);
    if (this.expected === null) this.expected = sum;
    else if (sum !== this.expected) throw new Error(`${where}: checksum ${sum} differs from ${this.expected}; the engine and QEMU disagree about the work`);
  }

  engine(where: string, run: EngineRun): void {
    const clean = run.reason === 'debug-exit' && run.exitStatus === CLEAN_EXIT_STATUS;
    this.check(where, run.output, clean, `${run.reason}${run.exitStatus !== undefined ? ` status ${run.exitStatus}` : ''}`);
  }

  qemu(where: string, run: QemuRun): void {
    this.check(where, run.output, run.status === CLEAN_EXIT_STATUS, `exit status ${run.status}`);
  }
}

// ---- figures --------------------------------------------------------------------

export interface Spread {
  best: number;
  median: number;
  worst: number;
  /** (worst - best) / best: how much the samples disagree, a measure of the noise. */
  spread: number;
}

/** For times: best is the smallest. */
export function spreadOf(samples: number[]): Spread {
  if (samples.length === 0) throw new Error('no samples to summarise');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const best = s[0]!;
  const worst = s[s.length - 1]!;
  return { best, median, worst, spread: (worst - best) / best };
}

/**
 * Engine samples past the first: the first run pays for V8 compiling the hot
 * path, so it is reported on its own. With one run there is nothing else.
 */
export function steadyRuns<T>(runs: T[]): T[] {
  return runs.length > 1 ? runs.slice(1) : runs;
}

/** QEMU's time for the work alone: its time less the trivial kernel's, both at their best. */
export function qemuNet(work: Spread, startup: Spread): number {
  return Math.max(work.best - startup.best, 0);
}

/**
 * Which engine was measured: the commit, and whether engine/ had uncommitted
 * changes (figures from a dirty tree cannot be reproduced from the commit).
 */
export function engineRevision(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--', 'engine').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' with uncommitted changes in engine/' : ''}`;
}

/** How busy the host was while a benchmark ran: the figures mean little if it was busy. */
export interface HostNoise {
  wallSeconds: number;
  /** The 1-minute load average at the start and at the end. */
  loadBefore: number;
  loadAfter: number;
  /**
   * Seconds in which some runnable task waited for a CPU (Linux pressure
   * stall information, "some" line of /proc/pressure/cpu); null where the
   * kernel does not provide it. Near zero means nothing else competed.
   */
  cpuWaitSeconds: number | null;
}

function cpuStallMicroseconds(): number | null {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Start watching the host; call the result when the benchmark ends. */
export function watchHost(): () => HostNoise {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const stallBefore = cpuStallMicroseconds();
  return () => {
    const stallAfter = cpuStallMicroseconds();
    return {
      wallSeconds: (performance.now() - started) / 1000,
      loadBefore: Math.round(loadBefore * 100) / 100,
      loadAfter: Math.round(loadavg()[0]! * 100) / 100,
      cpuWaitSeconds: stallBefore !== null && stallAfter !== null ? (stallAfter - stallBefore) / 1e6 : null,
    };
  };
}

export function describeHostNoise(n: HostNoise): string {
  const wait = n.cpuWaitSeconds === null
    ? ''
    : `tasks waited for a CPU ${n.cpuWaitSeconds.toFixed(1)} s of the ${n.wallSeconds.toFixed(0)} s run; `;
  return `${wait}1-minute load average ${n.loadBefore} before, ${n.loadAfter} after`;
}

/** A plain text table: the first column left-aligned, the rest right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export const fixed = (n: number, digits: number): string => n.toFixed(digits);
export const percent = (n: number): string => `${(n * 100).toFixed(1)}%`;
