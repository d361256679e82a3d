// One process's part of cold-start.bench.ts: in a fresh V8, as a grading
// worker is, run the benchmark course's tests one after another several
// times and print each pass's times and instruction count as one JSON line.
// It runs from the compiled copies (cold-start-pass.mjs), as workers do, so
// the engine V8 compiles here is the one `lab grade` runs.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildLab } from '../../grader/toolchain/build.ts';
import { findLab } from '../../grader/course/labs.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { loadSpecFile } from '../../grader/api/spec.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '../..');
const COURSE = path.join(BENCH_DIR, 'grading-course');

const passes = Number(process.env.COLD_START_PASSES ?? '4');
/** If set, a line printed before each pass (with its number), for a parent that reads V8's traces pass by pass. */
const passMark = process.env.COLD_START_MARK;
/** One test's name: run only it (all 22 otherwise). */
const only = process.env.COLD_START_TEST;

const lab = findLab(COURSE, 1);
const built = await buildLab(COURSE, lab.manifest);
if (!built.ok) throw new Error(`the benchmark kernel does not build (${built.stage}):\n${built.log}`);
const inputs: TestInputs = {
  kernel: readFileSync(built.kernel),
  kernelName: path.relative(REPO_ROOT, built.kernel),
  programs: {},
  defaults: { ramMiB: lab.manifest.ramMiB, maxInstructions: lab.manifest.maxInstructions, maxOutputBytes: lab.manifest.maxOutputBytes },
};
const specFiles = ['bringup', 'traps', 'compute', 'unfinished'].map((g) => path.join(lab.testsDir, `${g}.ts`));
const specs = (await Promise.all(specFiles.map((f) => loadSpecFile(f)))).flat().filter((s) => only === undefined || s.name === only);
if (specs.length === 0) throw new Error(`no test named '${only}' in ${lab.testsDir}`);

/**
 * CPU seconds of this thread so far (Linux; null elsewhere): unlike wall time,
 * not stretched by waiting for a CPU on a busy host, and unlike the process's
 * CPU time, without V8's background compiles.
 */
function threadCpuSeconds(): number | null {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of proc(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

const seconds: number[] = [];
const threadCpu: (number | null)[] = [];
const processCpu: number[] = [];
const instructions: number[] = [];
/** Per pass, each test's outcome and instruction count: passes must agree, or something changed what runs. */
const outcomes: string[] = [];
for (let p = 0; p < passes; p++) {
  if (passMark !== undefined) process.stdout.write(`${passMark}${p + 1}\n`);
  let n = 0;
  const what: string[] = [];
  const cpu0 = threadCpuSeconds();
  const all0 = process.cpuUsage();
  const started = performance.now();
  for (const s of specs) {
    const r = runTest(s, inputs);
    n += r.run.instructions;
    what.push(`${s.name}:${r.status}:${r.score}:${r.run.instructions}`);
  }
  seconds.push((performance.now() - started) / 1000);
  const cpu1 = threadCpuSeconds();
  threadCpu.push(cpu0 === null || cpu1 === null ? null : cpu1 - cpu0);
  const all = process.cpuUsage(all0);
  processCpu.push((all.user + all.system) / 1e6);
  instructions.push(n);
  outcomes.push(what.join(','));
}
process.stdout.write(`${JSON.stringify({ seconds, threadCpu, processCpu, instructions, outcomes })}\n`);
