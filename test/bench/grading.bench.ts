// End-to-end grading time: `lab grade` on a small course, against what OS
// courses usually run instead, a script that boots qemu-system-i386 once per
// test and matches regexes on the serial output. Both graders grade the same
// kernel on the same expectations (grading-course/01-bench/cases.ts) with the
// same parallelism; the script stops with status 1 if they disagree on any
// test, since a fast grader that grades differently proves nothing.
//
// When ringlab is slower than hoped, the "where ringlab's time goes" section
// splits its wall time into the parts one can act on separately.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { buildLab } from '../../grader/build.ts';
import { findLab } from '../../grader/labs.ts';
import { runTest, type TestInputs } from '../../grader/run-test.ts';
import { loadSpecFile, type TestSpec } from '../../grader/spec.ts';
import { CASES, type BenchCase } from './grading-course/01-bench/cases.ts';
import { describeHostNoise, engineRevision, formatTable, progress, spreadOf, watchHost, type Spread } from './measure.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '../..');
const COURSE = path.join(BENCH_DIR, 'grading-course');
const LAB_CLI = path.join(REPO_ROOT, 'grader/cli/lab.js');
const WORKER_ENTRY = new URL('../../grader/worker-entry.mjs', import.meta.url);
const LAB = 1;

const USAGE = `usage: tsx test/bench/grading.bench.ts [--runs N] [--no-cold] [--json]

  --runs N    timed runs of each grader and parallelism (default 3), after one warm-up
  --no-cold   skip the run with an empty build cache
  --json      results as JSON on stdout; progress stays on stderr
`;

/** pass/fail per test name. */
type Verdicts = Map<string, boolean>;

interface GraderRun {
  seconds: number;
  verdicts: Verdicts;
}

// ---- ringlab: the real CLI, end to end ----------------------------------------------

/** One `lab grade` as a user runs it; verdicts read back from its terminal summary. */
function runLabGrade(jobs: number): Promise<GraderRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAB_CLI, 'grade', String(LAB), '--course', COURSE, '--jobs', String(jobs)], {
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

// ---- the QEMU + regex grader ------------------------------------------------------------

interface QemuVerdict {
  passed: boolean;
  seconds: number;
}

/** What a typical course script does: boot, capture COM1, grep, look at the exit status. */
function gradeUnderQemu(kernel: string, c: BenchCase): Promise<QemuVerdict> {
  const args = [
    '-kernel', kernel, '-append', c.cmdline,
    '-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-no-reboot',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=1', '-m', '32',
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-i386', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    // The same backstop a course script needs for a kernel that never exits.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      const serial = Buffer.concat(out).toString('latin1');
      const patterns = [...c.contains.map((t) => new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))), ...c.matches];
      // isa-debug-exit makes QEMU exit with (code << 1) | 1.
      const passed = patterns.every((re) => re.test(serial)) && status === ((c.exit << 1) | 1);
      resolve({ passed, seconds: (performance.now() - started) / 1000 });
    });
  });
}

async function runQemuGrader(kernel: string, jobs: number): Promise<GraderRun & { perTest: number[] }> {
  const started = performance.now();
  const verdicts: Verdicts = new Map();
  const perTest: number[] = [];
  const queue = [...CASES];
  const slot = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const v = await gradeUnderQemu(kernel, c);
      verdicts.set(c.name, v.passed);
      perTest.push(v.seconds);
    }
  };
  await Promise.all(Array.from({ length: jobs }, slot));
  return { seconds: (performance.now() - started) / 1000, verdicts, perTest };
}

// ---- where ringlab's time goes ------------------------------------------------------------

function spawnSeconds(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with status ${r.status}`);
  return (performance.now() - started) / 1000;
}

/** Seconds from creating `count` grading workers to each having loaded tsx, the engine and a spec. */
async function workerStartSeconds(inputs: TestInputs, specFile: string, count: number): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    // No execArgv, as under `node lab.js`: the worker registers tsx itself.
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

// ---- main ---------------------------------------------------------------------------------

function compareVerdicts(a: Verdicts, b: Verdicts, what: string): string[] {
  const problems: string[] = [];
  for (const c of CASES) {
    const x = a.get(c.name);
    const y = b.get(c.name);
    if (x === undefined || y === undefined) problems.push(`${what}: no verdict for '${c.name}'`);
    else if (x !== y) problems.push(`${what}: '${c.name}' ${x ? 'passes' : 'fails'} on ringlab but ${y ? 'passes' : 'fails'} under QEMU`);
  }
  return problems;
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

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string', default: '3' },
      'no-cold': { type: 'boolean', default: false },
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
  const host = watchHost();

  // The kernel both graders boot: the grader's own build, from its cache.
  const lab = findLab(COURSE, LAB);
  const built = await buildLab(COURSE, lab.manifest);
  if (!built.ok) throw new Error(`the benchmark kernel does not build (${built.stage}):\n${built.log}`);
  const kernel = built.kernel;

  let cold: GraderRun | null = null;
  if (!values['no-cold']) {
    // Only this tree's cache entry goes: the directory is named by its content hash.
    rmSync(path.dirname(kernel), { recursive: true, force: true });
    progress('ringlab, empty build cache:');
    cold = (await timed(1, 'lab grade --jobs 2 (cold)', () => runLabGrade(2)))[0]!;
  }
  progress('ringlab warm-up:');
  await timed(1, 'lab grade --jobs 2 (warm-up)', () => runLabGrade(2));

  // Alternate the graders per round so that a busy spell on the host hits both.
  const ring2: GraderRun[] = [];
  const ring1: GraderRun[] = [];
  const qemu2: (GraderRun & { perTest: number[] })[] = [];
  const qemu1: (GraderRun & { perTest: number[] })[] = [];
  for (let round = 0; round < runs; round++) {
    progress(`round ${round + 1} of ${runs}:`);
    ring2.push(...(await timed(1, 'lab grade --jobs 2', () => runLabGrade(2))));
    qemu2.push(...(await timed(1, 'qemu+regex, 2 at a time', () => runQemuGrader(kernel, 2))));
    ring1.push(...(await timed(1, 'lab grade --jobs 1', () => runLabGrade(1))));
    qemu1.push(...(await timed(1, 'qemu+regex, 1 at a time', () => runQemuGrader(kernel, 1))));
  }

  const problems: string[] = [];
  const reference = qemu2[0]!.verdicts;
  for (const [i, r] of [...ring2, ...ring1, ...(cold ? [cold] : [])].entries()) problems.push(...compareVerdicts(r.verdicts, reference, `ringlab run ${i + 1}`));
  for (const [i, r] of [...qemu2, ...qemu1].entries()) problems.push(...compareVerdicts(ring2[0]!.verdicts, r.verdicts, `QEMU run ${i + 1}`));

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
  for (const s of specs) runTest({ ...s, maxInstructions: 1 }, inputs);
  const machineOnly = (performance.now() - machineStarted) / 1000;

  const noise = host();
  const r2 = spreadOf(ring2.map((r) => r.seconds));
  const r1 = spreadOf(ring1.map((r) => r.seconds));
  const q2 = spreadOf(qemu2.map((r) => r.seconds));
  const q1 = spreadOf(qemu1.map((r) => r.seconds));
  const qemuPerTest = spreadOf(qemu1.flatMap((r) => r.perTest));
  const n = CASES.length;
  const figures = {
    tests: n,
    passing: [...reference.values()].filter(Boolean).length,
    ringlab: { jobs2: r2, jobs1: r1, coldJobs2Seconds: cold?.seconds ?? null },
    qemu: { jobs2: q2, jobs1: q1, perTestBootSeconds: qemuPerTest },
    ratio: { jobs2: q2.median / r2.median, jobs1: q1.median / r1.median, jobs2Best: q2.best / r2.best },
    breakdown: {
      nodeStartSeconds: nodeStart.best,
      cliStartSeconds: cliStart.best,
      cachedBuildSeconds: cachedBuild,
      twoWorkersStartSeconds: workers2.best,
      machineSetupSeconds: machineOnly,
      firstPassSeconds: firstPass.seconds,
      steadyPassSeconds: steady.best,
      instructions: firstPass.instructions,
      steadyMips: firstPass.instructions / steady.best / 1e6,
    },
    agree: problems.length === 0,
    problems,
    noise: { ...noise, ringlabSpread: r2.spread, qemuSpread: q2.spread },
    engine: engineRevision(),
  };

  if (values.json) {
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  } else {
    const s = (x: number) => `${x.toFixed(2)} s`;
    const ms = (x: number) => `${(x * 1000).toFixed(0)} ms`;
    const row = (name: string, sp: Spread, ratio: string): string[] => [name, s(sp.best), s(sp.median), ms(sp.median / n), ratio];
    const lines = [
      `grading ${n} tests of test/bench/grading-course lab ${LAB} (${figures.passing} pass, ${n - figures.passing} fail on purpose), ${runs} runs each`,
      '',
      formatTable(['grader', 'best', 'median', 'per test', 'QEMU/ringlab'], [
        row('ringlab lab grade --jobs 2', r2, `${figures.ratio.jobs2.toFixed(2)}x`),
        row('QEMU + regex, 2 at a time', q2, ''),
        row('ringlab lab grade --jobs 1', r1, `${figures.ratio.jobs1.toFixed(2)}x`),
        row('QEMU + regex, 1 at a time', q1, ''),
      ]),
      '',
      cold ? `ringlab with an empty build cache (--jobs 2): ${s(cold.seconds)}` : 'cold run skipped (--no-cold)',
      `one QEMU boot-to-exit, 1 at a time: best ${ms(qemuPerTest.best)}, median ${ms(qemuPerTest.median)}`,
      '',
      'where ringlab\'s time goes (measured separately; best of 3 where repeated):',
      formatTable(['part', 'time'], [
        ['node start-up (node -e "")', s(nodeStart.best)],
        ['node + tsx + CLI load (lab list)', s(cliStart.best)],
        ['build, cache hit (hash the tree)', s(cachedBuild)],
        ['2 workers: start, register tsx, load engine + a spec', s(workers2.best)],
        [`${n} machines created, no instructions run`, s(machineOnly)],
        [`${n} tests in one thread, V8 cold (what a worker pays)`, s(firstPass.seconds)],
        [`${n} tests in one thread, V8 warm`, s(steady.best)],
        ['guest instructions in all / warm MIPS', `${(firstPass.instructions / 1e6).toFixed(1)} M / ${figures.breakdown.steadyMips.toFixed(0)}`],
      ]),
      '',
      problems.length === 0 ? `both graders agree on all ${n} tests in every run` : `DISAGREEMENT:\n  ${problems.join('\n  ')}`,
      `engine: ${figures.engine}`,
      `noise: lab grade --jobs 2 runs spread ${(r2.spread * 100).toFixed(0)}%, QEMU 2-at-a-time spread ${(q2.spread * 100).toFixed(0)}%; ${describeHostNoise(noise)}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (status) => process.exit(status),
  (e: unknown) => {
    process.stderr.write(`grading.bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
