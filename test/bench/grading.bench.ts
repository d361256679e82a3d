// End-to-end grading time: `lab grade` on a small course, against what OS
// courses usually run instead, a script that boots qemu-system-i386 once per
// test and matches regexes on the serial output. Both graders grade the same
// kernel on the same expectations (grading-course/01-bench/cases.ts) with the
// same parallelism; the script stops with status 1 if they disagree on any
// test, since a fast grader that grades differently proves nothing.
//
// When ringlab is slower than hoped, the "where ringlab's time goes" section
// splits its wall time into the parts one can act on separately.
//
// Then the same for the course's real lab 3 (public and hidden tests), what
// users run, against the other usual course grader: one QEMU boot per test
// whose serial output must equal a golden transcript (see lab-cases.ts); and
// for lab 5, whose timer-driven runs QEMU cannot repeat, against one QEMU
// boot per test graded by its summary line.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { buildLab } from '../../grader/toolchain/build.ts';
import { findLab } from '../../grader/course/labs.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { loadSpecFile, type TestSpec } from '../../grader/api/spec.ts';
import { CASES, type BenchCase } from './grading-course/01-bench/cases.ts';
import { loadLabBoots, type LabBoot } from './lab-cases.ts';
import { measureSandboxCost, sandboxCostLines } from './sandbox-cost.ts';
import { describeHostNoise, engineRevision, formatTable, progress, spreadOf, watchHost, type HostNoise, type Spread } from './measure.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '../..');
const COURSE = path.join(BENCH_DIR, 'grading-course');
const LAB_CLI = path.join(REPO_ROOT, 'grader/cli/lab.js');
const WORKER_ENTRY = new URL('../../grader/run/worker-entry.mjs', import.meta.url);
const LAB = 1;
const COURSE_ROOT = path.join(REPO_ROOT, 'labs');
const LAB3_HIDDEN = 'labs/03-usermode/hidden';

const USAGE = `usage: tsx test/bench/grading.bench.ts [--runs N] [--no-cold] [--only bench|lab3|lab5|sandbox] [--json]

  --runs N       timed runs of each grader and parallelism (default 3), after one warm-up
  --no-cold      skip the run with an empty build cache (benchmark course only)
  --only PART    bench: only the benchmark course; lab3: only labs/03-usermode; lab5: only
                 labs/05-preemption (QEMU graded by its summary line: its PIT follows the host's
                 clock); sandbox: only the build sandbox's cost per compile (default: all)
  --json         results as JSON on stdout; progress stays on stderr
`;

/** pass/fail per test name. */
type Verdicts = Map<string, boolean>;

interface GraderRun {
  seconds: number;
  verdicts: Verdicts;
}

// ---- ringlab: the real CLI, end to end ----------------------------------------------

/** One `lab grade <args>` as a user runs it; verdicts read back from its terminal summary. */
function runLabGrade(args: string[]): Promise<GraderRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAB_CLI, 'grade', ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = (performance.now() - started) / 1000;
      const text = Buffer.concat(out).toString('utf8');
      // 0 or 1 are gradings (some tests fail on purpose); anything else means grading did not run.
      if (status !== 0 && status !== 1) {
        reject(new Error(`lab grade exited with status ${status}: ${Buffer.concat(err).toString('utf8').trim() || text.trim()}`));
        return;
      }
      const verdicts: Verdicts = new Map();
      for (const m of text.matchAll(/^(PASS|FAIL|ERROR) +\S+ +(.*?)(?: - .*)?$/gm)) verdicts.set(m[2]!, m[1] === 'PASS');
      resolve({ seconds, verdicts });
    });
  });
}

const gradeBenchCourse = (jobs: number) => runLabGrade([String(LAB), '--course', COURSE, '--jobs', String(jobs)]);

// ---- the QEMU graders -------------------------------------------------------------------

interface QemuBoot {
  serial: string;
  status: number | null;
  seconds: number;
}

/** One boot to exit with COM1 captured, as course scripts run it. */
function bootQemu(args: string[], cwd?: string): Promise<QemuBoot> {
  const shared = ['-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-i386', [...args, ...shared], { stdio: ['ignore', 'pipe', 'ignore'], ...(cwd ? { cwd } : {}) });
    const out: Buffer[] = [];
    // The same backstop a course script needs for a kernel that never exits.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ serial: Buffer.concat(out).toString('latin1'), status, seconds: (performance.now() - started) / 1000 });
    });
  });
}

interface QemuVerdict {
  passed: boolean;
  seconds: number;
  /** For a failure: what the grader saw, so that a disagreement can be explained. */
  why?: string;
}

/** The benchmark course's grader: grep the serial output, look at the exit status. */
async function gradeByRegex(kernel: string, c: BenchCase): Promise<QemuVerdict> {
  const boot = await bootQemu(['-kernel', kernel, '-append', c.cmdline, '-m', '32']);
  const patterns = [...c.contains.map((t) => new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))), ...c.matches];
  // isa-debug-exit makes QEMU exit with (code << 1) | 1.
  const passed = patterns.every((re) => re.test(boot.serial)) && boot.status === ((c.exit << 1) | 1);
  return { passed, seconds: boot.seconds };
}

/** The first line where two transcripts part, for a one-line explanation. */
function firstDifference(expected: string, got: string): string {
  const e = expected.split('\n');
  const g = got.split('\n');
  const i = e.findIndex((line, k) => line !== g[k]);
  const at = i === -1 ? e.length : i;
  return `line ${at + 1}: expected ${JSON.stringify(e[at] ?? '(end)')}, got ${JSON.stringify(g[at] ?? '(end)')}`;
}

/** A test as the golden-output grader knows it: how to boot it, and what it must print and exit with. */
interface LabCase extends LabBoot {
  /** What COM1 must carry, byte for byte (latin1, \r removed). */
  expectedSerial: string;
  /** QEMU's exit status: (code << 1) | 1 for isa-debug-exit. */
  expectedStatus: number | null;
}

/** The golden files: each test booted once under QEMU, untimed, as a course records them. */
async function recordGolden(boots: LabBoot[]): Promise<LabCase[]> {
  const cases: LabCase[] = [];
  for (const b of boots) {
    const boot = await bootQemu(b.bootArgs, b.cwd);
    cases.push({ ...b, expectedSerial: boot.serial.replace(/\r/g, ''), expectedStatus: boot.status });
  }
  return cases;
}

/** The golden-output grader: the whole transcript and the exit status must be as expected. */
async function gradeByTranscript(c: LabCase): Promise<QemuVerdict> {
  const boot = await bootQemu(c.bootArgs, c.cwd);
  const serial = boot.serial.replace(/\r/g, '');
  if (boot.status !== c.expectedStatus) return { passed: false, seconds: boot.seconds, why: `exit status ${boot.status}, expected ${c.expectedStatus}` };
  if (serial !== c.expectedSerial) return { passed: false, seconds: boot.seconds, why: `transcript differs at ${firstDifference(c.expectedSerial, serial)}` };
  return { passed: true, seconds: boot.seconds };
}

/**
 * The grader a course with a timer-driven lab falls back on: under QEMU the
 * PIT follows the host's clock, so a transcript with tick counts in it never
 * repeats. It checks the exit status and the kernel's summary line
 * ("all processes done: ...") against the recorded ones.
 */
async function gradeBySummary(c: LabCase): Promise<QemuVerdict> {
  const boot = await bootQemu(c.bootArgs, c.cwd);
  const summary = (serial: string) => /^all processes done: .*$/m.exec(serial.replace(/\r/g, ''))?.[0] ?? '(none)';
  if (boot.status !== c.expectedStatus) return { passed: false, seconds: boot.seconds, why: `exit status ${boot.status}, expected ${c.expectedStatus}` };
  if (summary(boot.serial) !== summary(c.expectedSerial)) return { passed: false, seconds: boot.seconds, why: `summary ${summary(boot.serial)}, expected ${summary(c.expectedSerial)}` };
  return { passed: true, seconds: boot.seconds };
}

interface QemuGraderRun extends GraderRun {
  /** Seconds of each boot, in the order they finished. */
  perTest: number[];
  /** Why each failing test failed, where the grader says. */
  why: Map<string, string>;
}

/** Grades every case with `jobs` QEMUs running at a time, as a course script with `xargs -P` would. */
async function runQemuGrader<T extends { name: string }>(cases: T[], jobs: number, grade: (c: T) => Promise<QemuVerdict>): Promise<QemuGraderRun> {
  const started = performance.now();
  const verdicts: Verdicts = new Map();
  const why = new Map<string, string>();
  const perTest: number[] = [];
  const queue = [...cases];
  const slot = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const v = await grade(c);
      verdicts.set(c.name, v.passed);
      if (v.why !== undefined) why.set(c.name, v.why);
      perTest.push(v.seconds);
    }
  };
  await Promise.all(Array.from({ length: jobs }, slot));
  return { seconds: (performance.now() - started) / 1000, verdicts, perTest, why };
}

// ---- where ringlab's time goes ------------------------------------------------------------

function spawnSeconds(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with status ${r.status}`);
  return (performance.now() - started) / 1000;
}

/** Seconds from creating `count` grading workers to each having loaded the compiled grader and engine, and a spec. */
async function workerStartSeconds(inputs: TestInputs, specFile: string, count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    // No execArgv, as under `node lab.js`: the worker loads the compiled grader and engine itself.
    const w = new Worker(WORKER_ENTRY, { workerData: { inputs }, execArgv: [] });
    w.once('error', reject);
    // A test name that does not exist: the worker loads everything, runs nothing and answers.
    w.once('message', () => void w.terminate().then(() => resolve()));
    w.postMessage({ specFile, testName: '(none)', id: '(none)', hidden: false });
  })));
  return (performance.now() - started) / 1000;
}

interface InProcessPass {
  seconds: number;
  instructions: number;
}

function runAllInProcess(specs: TestSpec[], inputs: TestInputs): InProcessPass {
  let instructions = 0;
  const started = performance.now();
  for (const s of specs) instructions += runTest(s, inputs).run.instructions;
  return { seconds: (performance.now() - started) / 1000, instructions };
}

// ---- rounds, verdicts, tables ------------------------------------------------------------

/** ringlab's runs and QEMU's, with 2 tests at a time and with 1. */
interface Rounds {
  ring2: GraderRun[];
  ring1: GraderRun[];
  qemu2: QemuGraderRun[];
  qemu1: QemuGraderRun[];
}

interface Graders {
  /** Progress label of one run with `jobs` tests at a time. */
  ringlabLabel: (jobs: number) => string;
  qemuLabel: (jobs: number) => string;
  ringlab: (jobs: number) => Promise<GraderRun>;
  qemu: (jobs: number) => Promise<QemuGraderRun>;
}

async function timed<T extends GraderRun>(runs: number, label: string, once: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await once();
    progress(`  ${label} run ${i + 1}: ${r.seconds.toFixed(2)} s`);
    out.push(r);
  }
  return out;
}

/** Alternates the graders per round so that a busy spell on the host hits both. */
async function alternate(runs: number, roundLabel: string, g: Graders): Promise<Rounds> {
  const r: Rounds = { ring2: [], ring1: [], qemu2: [], qemu1: [] };
  for (let round = 0; round < runs; round++) {
    progress(`${roundLabel} ${round + 1} of ${runs}:`);
    r.ring2.push(...(await timed(1, g.ringlabLabel(2), () => g.ringlab(2))));
    r.qemu2.push(...(await timed(1, g.qemuLabel(2), () => g.qemu(2))));
    r.ring1.push(...(await timed(1, g.ringlabLabel(1), () => g.ringlab(1))));
    r.qemu1.push(...(await timed(1, g.qemuLabel(1), () => g.qemu(1))));
  }
  return r;
}

function compareVerdicts(names: string[], ringlab: Verdicts, qemu: QemuGraderRun, what: string): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const x = ringlab.get(name);
    const y = qemu.verdicts.get(name);
    const why = qemu.why.get(name);
    if (x === undefined || y === undefined) problems.push(`${what}: no verdict for '${name}'`);
    else if (x !== y) problems.push(`${what}: '${name}' ${x ? 'passes' : 'fails'} on ringlab but ${y ? 'passes' : 'fails'} under QEMU${why ? ` (${why})` : ''}`);
  }
  return problems;
}

/** Every ringlab run against QEMU's first, every QEMU run against ringlab's first. */
function crossCheck(names: string[], r: Rounds, moreRinglab: GraderRun[] = []): string[] {
  const problems: string[] = [];
  for (const [i, x] of [...r.ring2, ...r.ring1, ...moreRinglab].entries()) problems.push(...compareVerdicts(names, x.verdicts, r.qemu2[0]!, `ringlab run ${i + 1}`));
  for (const [i, x] of [...r.qemu2, ...r.qemu1].entries()) problems.push(...compareVerdicts(names, r.ring2[0]!.verdicts, x, `QEMU run ${i + 1}`));
  return problems;
}

interface Summary {
  r2: Spread;
  r1: Spread;
  q2: Spread;
  q1: Spread;
  qemuPerTest: Spread;
  ratio: { jobs2: number; jobs1: number; jobs2Best: number };
}

function summarize(r: Rounds): Summary {
  const r2 = spreadOf(r.ring2.map((x) => x.seconds));
  const r1 = spreadOf(r.ring1.map((x) => x.seconds));
  const q2 = spreadOf(r.qemu2.map((x) => x.seconds));
  const q1 = spreadOf(r.qemu1.map((x) => x.seconds));
  const qemuPerTest = spreadOf(r.qemu1.flatMap((x) => x.perTest));
  return { r2, r1, q2, q1, qemuPerTest, ratio: { jobs2: q2.median / r2.median, jobs1: q1.median / r1.median, jobs2Best: q2.best / r2.best } };
}

const s = (x: number) => `${x.toFixed(2)} s`;
const ms = (x: number) => `${(x * 1000).toFixed(0)} ms`;

/** The four rows: ringlab and QEMU, 2 at a time then 1; QEMU/ringlab on ringlab's rows. */
function graderTable(sum: Summary, n: number, ringlabName: (jobs: number) => string, qemuName: (jobs: number) => string): string {
  const row = (name: string, sp: Spread, ratio: string): string[] => [name, s(sp.best), s(sp.median), ms(sp.median / n), ratio];
  return formatTable(['grader', 'best', 'median', 'per test', 'QEMU/ringlab'], [
    row(ringlabName(2), sum.r2, `${sum.ratio.jobs2.toFixed(2)}x`),
    row(qemuName(2), sum.q2, ''),
    row(ringlabName(1), sum.r1, `${sum.ratio.jobs1.toFixed(2)}x`),
    row(qemuName(1), sum.q1, ''),
  ]);
}

/** The figures both parts report in --json; `extra` holds what only one part measures. */
function partJson(n: number, passing: number, sum: Summary, problems: string[], noise: HostNoise, engine: string, extra: { ringlab?: object; breakdown?: object } = {}): Record<string, unknown> {
  return {
    tests: n,
    passing,
    ringlab: { jobs2: sum.r2, jobs1: sum.r1, ...extra.ringlab },
    qemu: { jobs2: sum.q2, jobs1: sum.q1, perTestBootSeconds: sum.qemuPerTest },
    ratio: sum.ratio,
    ...(extra.breakdown ? { breakdown: extra.breakdown } : {}),
    agree: problems.length === 0,
    problems,
    noise: { ...noise, ringlabSpread: sum.r2.spread, qemuSpread: sum.q2.spread },
    engine,
  };
}

function agreementLine(problems: string[], n: number): string {
  return problems.length === 0 ? `both graders agree on all ${n} tests in every run` : `DISAGREEMENT:\n  ${problems.join('\n  ')}`;
}

/** One part of the benchmark, measured; reported once the host's noise over the whole run is known. */
interface Part {
  problems: string[];
  report(noise: HostNoise, engine: string): { json: Record<string, unknown>; lines: string[] };
}

// ---- the benchmark course ---------------------------------------------------------------

async function benchCoursePart(runs: number, withCold: boolean): Promise<Part> {
  // The kernel both graders boot: the grader's own build, from its cache.
  const lab = findLab(COURSE, LAB);
  const built = await buildLab(COURSE, lab.manifest);
  if (!built.ok) throw new Error(`the benchmark kernel does not build (${built.stage}):\n${built.log}`);
  const kernel = built.kernel;

  let cold: GraderRun | null = null;
  if (withCold) {
    // Only this tree's cache entry goes: the directory is named by its content hash.
    rmSync(path.dirname(kernel), { recursive: true, force: true });
    progress('ringlab, empty build cache:');
    cold = (await timed(1, 'lab grade --jobs 2 (cold)', () => gradeBenchCourse(2)))[0]!;
  }
  progress('ringlab warm-up:');
  await timed(1, 'lab grade --jobs 2 (warm-up)', () => gradeBenchCourse(2));

  const rounds = await alternate(runs, 'round', {
    ringlabLabel: (jobs) => `lab grade --jobs ${jobs}`,
    qemuLabel: (jobs) => `qemu+regex, ${jobs} at a time`,
    ringlab: gradeBenchCourse,
    qemu: (jobs) => runQemuGrader(CASES, jobs, (c) => gradeByRegex(kernel, c)),
  });
  const problems = crossCheck(CASES.map((c) => c.name), rounds, cold ? [cold] : []);
  const reference = rounds.qemu2[0]!.verdicts;

  // ---- the breakdown -----------------------------------------------------------
  progress('where ringlab\'s time goes:');
  const nodeStart = spreadOf([0, 1, 2].map(() => spawnSeconds(['-e', ''])));
  const cliStart = spreadOf([0, 1, 2].map(() => spawnSeconds([LAB_CLI, 'list', '--course', COURSE])));
  const buildStarted = performance.now();
  await buildLab(COURSE, lab.manifest);
  const cachedBuild = (performance.now() - buildStarted) / 1000;
  const inputs: TestInputs = {
    kernel: readFileSync(kernel),
    kernelName: path.relative(REPO_ROOT, kernel),
    programs: {},
    defaults: { ramMiB: lab.manifest.ramMiB, maxInstructions: lab.manifest.maxInstructions, maxOutputBytes: lab.manifest.maxOutputBytes },
  };
  const specFiles = ['bringup', 'traps', 'compute', 'unfinished'].map((g) => path.join(lab.testsDir, `${g}.ts`));
  const workerSamples: number[] = [];
  for (let i = 0; i < 3; i++) workerSamples.push(await workerStartSeconds(inputs, specFiles[0]!, 2));
  const workers2 = spreadOf(workerSamples);
  const specs = (await Promise.all(specFiles.map((f) => loadSpecFile(f)))).flat();
  // The first pass is what a fresh worker pays (V8 compiles the engine's hot path); later ones are steady.
  const firstPass = runAllInProcess(specs, inputs);
  const steady = spreadOf([0, 1, 2].map(() => runAllInProcess(specs, inputs).seconds));
  const machineStarted = performance.now();
  for (const sp of specs) runTest({ ...sp, maxInstructions: 1 }, inputs);
  const machineOnly = (performance.now() - machineStarted) / 1000;

  const sum = summarize(rounds);
  const n = CASES.length;
  const passing = [...reference.values()].filter(Boolean).length;
  const breakdown = {
    nodeStartSeconds: nodeStart.best,
    cliStartSeconds: cliStart.best,
    cachedBuildSeconds: cachedBuild,
    twoWorkersStartSeconds: workers2.best,
    machineSetupSeconds: machineOnly,
    firstPassSeconds: firstPass.seconds,
    steadyPassSeconds: steady.best,
    instructions: firstPass.instructions,
    steadyMips: firstPass.instructions / steady.best / 1e6,
  };
  return {
    problems,
    report: (noise, engine) => ({
      json: partJson(n, passing, sum, problems, noise, engine, { ringlab: { coldJobs2Seconds: cold?.seconds ?? null }, breakdown }),
      lines: [
        `grading ${n} tests of test/bench/grading-course lab ${LAB} (${passing} pass, ${n - passing} fail on purpose), ${runs} runs each`,
        '',
        graderTable(sum, n, (jobs) => `ringlab lab grade --jobs ${jobs}`, (jobs) => `QEMU + regex, ${jobs} at a time`),
        '',
        cold ? `ringlab with an empty build cache (--jobs 2): ${s(cold.seconds)}` : 'cold run skipped (--no-cold)',
        `one QEMU boot-to-exit, 1 at a time: best ${ms(sum.qemuPerTest.best)}, median ${ms(sum.qemuPerTest.median)}`,
        '',
        'where ringlab\'s time goes (measured separately; best of 3 where repeated):',
        formatTable(['part', 'time'], [
          ['node start-up (node -e "")', s(nodeStart.best)],
          ['node + compiled CLI load (lab list)', s(cliStart.best)],
          ['build, cache hit (hash the tree)', s(cachedBuild)],
          ['2 workers: start, load compiled engine + a spec', s(workers2.best)],
          [`${n} machines created, no instructions run`, s(machineOnly)],
          [`${n} tests in one thread, V8 cold (what a worker pays)`, s(firstPass.seconds)],
          [`${n} tests in one thread, V8 warm`, s(steady.best)],
          ['guest instructions in all / warm MIPS', `${(firstPass.instructions / 1e6).toFixed(1)} M / ${breakdown.steadyMips.toFixed(0)}`],
        ]),
        '',
        agreementLine(problems, n),
        `engine: ${engine}`,
        `noise: lab grade --jobs 2 runs spread ${(sum.r2.spread * 100).toFixed(0)}%, QEMU 2-at-a-time spread ${(sum.q2.spread * 100).toFixed(0)}%; ${describeHostNoise(noise)}`,
      ],
    }),
  };
}

// ---- labs of the course ---------------------------------------------------------------------

/** A lab of the course as the bench grades it, and how a QEMU course would grade it. */
interface CourseLab {
  number: number;
  /** The hidden tests, relative to the repository. */
  hidden: string;
  qemuGrader: 'transcript' | 'summary';
}

const COURSE_LABS: Record<string, CourseLab> = {
  lab3: { number: 3, hidden: LAB3_HIDDEN, qemuGrader: 'transcript' },
  lab5: { number: 5, hidden: 'labs/05-preemption/hidden', qemuGrader: 'summary' },
};

async function coursePart(which: CourseLab, runs: number): Promise<Part> {
  const n = which.number;
  const folder = path.relative(REPO_ROOT, findLab(COURSE_ROOT, n).dir);
  const gradeLab = (jobs: number) => runLabGrade([String(n), '--hidden', which.hidden, '--jobs', String(jobs)]);
  progress(`lab ${n}: building, and recording the expected runs under QEMU`);
  const cases = await recordGolden(await loadLabBoots(COURSE_ROOT, n, path.join(REPO_ROOT, which.hidden)));
  progress(`lab ${n}, ringlab warm-up:`);
  await timed(1, `lab grade ${n} --jobs 2 (warm-up)`, () => gradeLab(2));

  const qemuWhat = which.qemuGrader === 'transcript' ? 'transcript' : 'summary line';
  const rounds = await alternate(runs, `lab ${n} round`, {
    ringlabLabel: (jobs) => `lab grade ${n} --jobs ${jobs}`,
    qemuLabel: (jobs) => `qemu+${qemuWhat}, ${jobs} at a time`,
    ringlab: gradeLab,
    qemu: (jobs) => runQemuGrader(cases, jobs, which.qemuGrader === 'transcript' ? gradeByTranscript : gradeBySummary),
  });
  const problems = crossCheck(cases.map((c) => c.name), rounds);
  const sum = summarize(rounds);
  const count = cases.length;
  const passing = [...rounds.ring2[0]!.verdicts.values()].filter(Boolean).length;
  return {
    problems,
    report: (noise, engine) => ({
      json: partJson(count, passing, sum, problems, noise, engine),
      lines: [
        `grading ${count} tests of ${folder}, public and hidden (${passing} pass on ringlab), ${runs} runs each`,
        '',
        graderTable(sum, count, (jobs) => `ringlab lab grade ${n} --jobs ${jobs}`, (jobs) => `QEMU + ${qemuWhat}, ${jobs} at a time`),
        '',
        `one QEMU boot-to-exit, 1 at a time: best ${ms(sum.qemuPerTest.best)}, median ${ms(sum.qemuPerTest.median)}`,
        agreementLine(problems, count),
        `noise: lab grade ${n} --jobs 2 runs spread ${(sum.r2.spread * 100).toFixed(0)}%, QEMU 2-at-a-time spread ${(sum.q2.spread * 100).toFixed(0)}%; ${describeHostNoise(noise)}`,
      ],
    }),
  };
}

// ---- main ---------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string', default: '3' },
      'no-cold': { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: give a whole number of at least 1`);
  if (values.only !== undefined && !['bench', 'lab3', 'lab5', 'sandbox'].includes(values.only)) throw new Error(`--only ${values.only}: give bench, lab3, lab5 or sandbox`);
  const host = watchHost();

  const only = (part: string) => values.only === undefined || values.only === part;
  const bench = only('bench') ? await benchCoursePart(runs, !values['no-cold']) : null;
  const labs = [];
  for (const [key, which] of Object.entries(COURSE_LABS)) if (only(key)) labs.push({ key, part: await coursePart(which, runs) });
  const sandbox = only('sandbox') ? await measureSandboxCost(Math.max(runs, 3)) : null;

  const noise = host();
  const engine = engineRevision();
  const benchReport = bench?.report(noise, engine);
  const labReports = labs.map(({ key, part }) => ({ key, report: part.report(noise, engine) }));
  if (values.json) {
    // The benchmark course's figures stay at the top level, where they have always been.
    const json = {
      ...(benchReport ? benchReport.json : { noise, engine }),
      ...Object.fromEntries(labReports.map(({ key, report }) => [key, report.json])),
      ...(sandbox !== null ? { sandbox } : {}),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const lines = [...(benchReport?.lines ?? [])];
    for (const { report } of labReports) lines.push(...(lines.length > 0 ? [''] : []), ...report.lines);
    if (!benchReport && labReports.length > 0) lines.push(`engine: ${engine}`);
    if (sandbox !== null) lines.push(...(lines.length > 0 ? [''] : []), ...sandboxCostLines(sandbox));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return [...(bench?.problems ?? []), ...labs.flatMap(({ part }) => part.problems)].length === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`grading.bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
