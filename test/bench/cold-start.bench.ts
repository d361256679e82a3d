// What a fresh V8 pays to grade: each sample is a new `node` process that runs
// the benchmark course's 22 tests (test/bench/grading-course, lab 1) several
// times in a row from the compiled copies, as a grading worker runs them
// (cold-start-pass.ts). Pass 1 is the cold figure, the best later pass the
// warm one. Variants (extra `node` flags) are sampled in alternation, so a
// busy spell on the host hits them all; every pass of every variant must run
// the same instructions to the same verdicts, or the script exits with status 1.
// One more process runs with --trace-deopt, and V8's deoptimizations are
// counted pass by pass: a count, where times depend on the host.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeHostNoise, engineRevision, formatTable, progress, watchHost } from './measure.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '../..');
const PASS = path.join(BENCH_DIR, 'cold-start-pass.mjs');

const USAGE = `usage: tsx test/bench/cold-start.bench.ts [--samples N] [--passes N] [--test NAME] [--variant 'NAME=FLAGS']... [--json]

  --samples N     fresh processes per variant (default 5)
  --passes N      passes over the 22 tests per process (default 4); the first is the cold one
  --test NAME     run only the test of that name (e.g. 'counts primes below 300000', 5.3 M instructions)
  --variant V     'NAME=FLAGS': also sample \`node FLAGS\` (e.g. 'sparkplug=--always-sparkplug');
                  may be repeated; the variant 'as shipped' (no extra flags) is always sampled
  --json          results as JSON on stdout; progress stays on stderr
`;

interface Sample {
  seconds: number[];
  /** CPU seconds of the thread that ran the tests, per pass (null off Linux). */
  threadCpu: (number | null)[];
  /** CPU seconds of the whole process per pass: the tests and V8's background compiles. */
  processCpu: number[];
  instructions: number[];
  outcomes: string[];
}

function runPasses(flags: string[], passes: number, test: string | undefined, env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [...flags, PASS], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, COLD_START_PASSES: String(passes), ...(test === undefined ? {} : { COLD_START_TEST: test }) },
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`node ${[...flags, PASS].join(' ')} exited with status ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

function sample(flags: string[], passes: number, test: string | undefined): Sample {
  return JSON.parse(runPasses(flags, passes, test).trim().split('\n').pop()!) as Sample;
}

const PASS_MARK = 'cold-start pass ';

/**
 * V8's deoptimizations in each pass of one more process run with
 * --trace-deopt: of the guest's compiled blocks (functions named `block`),
 * and of everything else. Counts, not times, so a change that makes V8 throw
 * optimized code away again and again shows on any host.
 */
function deoptimizations(passes: number, test: string | undefined): { blocks: number[]; rest: number[] } {
  const blocks = new Array<number>(passes).fill(0);
  const rest = new Array<number>(passes).fill(0);
  let pass = -1;
  for (const line of runPasses(['--trace-deopt'], passes, test, { COLD_START_MARK: PASS_MARK }).split('\n')) {
    if (line.startsWith(PASS_MARK)) pass = Number(line.slice(PASS_MARK.length)) - 1;
    else if (pass >= 0 && line.startsWith('[bailout')) (/<JSFunction block \(/.test(line) ? blocks : rest)[pass]!++;
  }
  return { blocks, rest };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    samples: { type: 'string', default: '5' },
    passes: { type: 'string', default: '4' },
    test: { type: 'string' },
    variant: { type: 'string', multiple: true, default: [] },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const samples = Number(values.samples);
const passes = Number(values.passes);
if (!Number.isInteger(samples) || samples < 1 || !Number.isInteger(passes) || passes < 2) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const variants: { name: string; flags: string[] }[] = [{ name: 'as shipped', flags: [] }];
for (const v of values.variant) {
  const eq = v.indexOf('=');
  if (eq < 1) throw new Error(`--variant ${v}: write NAME=FLAGS`);
  variants.push({ name: v.slice(0, eq), flags: v.slice(eq + 1).split(/\s+/).filter(Boolean) });
}

const stopWatching = watchHost();
interface Figures {
  cold: number;
  warm: number;
  ratio: number;
  /** Thread CPU seconds of the cold pass over the warm pass's (NaN off Linux). */
  threadRatio: number;
  /** Process CPU seconds of the cold pass over the warm pass's. */
  processRatio: number;
}
const results = variants.map(() => [] as Figures[]);
let reference: Sample | null = null;
const problems: string[] = [];
for (let i = 0; i < samples; i++) {
  variants.forEach((v, k) => {
    const s = sample(v.flags, passes, values.test);
    reference ??= s;
    for (let p = 0; p < passes; p++) {
      if (s.outcomes[p] !== reference.outcomes[0]) problems.push(`${v.name}, sample ${i + 1}, pass ${p + 1}: tests ran differently from the first pass of all`);
    }
    const cold = s.seconds[0]!;
    const warm = Math.min(...s.seconds.slice(1));
    // The warm pass for the CPU figures is the same one as for wall time.
    const w = s.seconds.indexOf(warm);
    const threadRatio = s.threadCpu[0] === null || s.threadCpu[w] === null ? NaN : s.threadCpu[0]! / s.threadCpu[w]!;
    const processRatio = s.processCpu[0]! / s.processCpu[w]!;
    results[k]!.push({ cold, warm, ratio: cold / warm, threadRatio, processRatio });
    progress(`sample ${i + 1}, ${v.name}: passes ${s.seconds.map((x) => x.toFixed(2)).join(' ')} s; cold/warm ${(cold / warm).toFixed(2)}, thread CPU ${threadRatio.toFixed(2)}, process CPU ${processRatio.toFixed(2)}`);
  });
}
const deopts = deoptimizations(passes, values.test);
const noise = stopWatching();

const rows = variants.map((v, k) => {
  const r = results[k]!;
  return {
    name: v.name,
    flags: v.flags.join(' '),
    cold: median(r.map((x) => x.cold)),
    warm: median(r.map((x) => x.warm)),
    ratio: median(r.map((x) => x.ratio)),
    threadRatio: median(r.map((x) => x.threadRatio)),
    processRatio: median(r.map((x) => x.processRatio)),
    ratios: r.map((x) => x.ratio),
  };
});
if (values.json) {
  process.stdout.write(`${JSON.stringify({ engine: engineRevision(), test: values.test ?? null, samples, passes, instructions: reference!.instructions[0], variants: rows, deoptimizations: deopts, problems }, null, 2)}\n`);
} else {
  process.stdout.write([
    `${values.test === undefined ? '22 tests' : `the test '${values.test}'`} of test/bench/grading-course lab 1 (${(reference!.instructions[0]! / 1e6).toFixed(1)} M instructions), in fresh processes: ${samples} samples x ${passes} passes`,
    '',
    formatTable(['variant', 'cold', 'warm', 'cold/warm', 'thread CPU', 'process CPU', 'cold/warm per sample'],
      rows.map((r) => [
        r.name + (r.flags ? ` (${r.flags})` : ''),
        `${r.cold.toFixed(2)} s`,
        `${r.warm.toFixed(2)} s`,
        `${r.ratio.toFixed(2)}x`,
        `${r.threadRatio.toFixed(2)}x`,
        `${r.processRatio.toFixed(2)}x`,
        r.ratios.map((x) => x.toFixed(2)).join(' '),
      ])),
    'medians over the samples; "thread CPU" and "process CPU" are cold/warm in CPU time of the testing thread and of the',
    'whole process (V8\'s background compiles included), which a busy host stretches less than wall time',
    `V8 deoptimizations per pass (one more process, as shipped, with --trace-deopt): compiled blocks ${deopts.blocks.join(' ')}; the rest ${deopts.rest.join(' ')}`,
    '',
    problems.length ? problems.join('\n') : 'every pass of every variant ran the same instructions to the same results',
    `engine: ${engineRevision()}`,
    `noise: ${describeHostNoise(noise)}`,
    '',
  ].join('\n'));
}
process.exitCode = problems.length ? 1 : 0;
