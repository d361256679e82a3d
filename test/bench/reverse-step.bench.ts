// What reverse debugging costs: a reverse-stepi at the end of a run of
// several million instructions (the target: well under half a second), and
// what the snapshots that make it possible cost going forward and in memory,
// for a few snapshot intervals around the one the debugger uses
// (engine/debug/timeline.ts). The kernel is kernels/paging-timer.c: paging
// (so the TLB is in every snapshot) and a 1 kHz timer (so the PIT and the
// PIC are, and interrupts are replayed). Nothing here asserts a time.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Machine } from '../../engine/machine.ts';
import { SNAPSHOT_INTERVAL, Timeline } from '../../engine/debug/timeline.ts';
import { buildBenchKernel, fixed, formatTable, progress } from './measure.ts';

const USAGE = `usage: tsx test/bench/reverse-step.bench.ts [options]

Runs kernels/paging-timer.c under the debugger's timeline for --steps steps,
then times reverse-stepi there, for several snapshot intervals.

  --steps N       steps to run before stepping back (default 5000000)
  --back N        reverse-stepis timed at the end of each run (default 5)
  --runs N        runs of each interval; forward time is the best of them (default 3)
  --json          print the results as JSON on stdout (progress stays on stderr)
`;

const INTERVALS = [50_000, 100_000, SNAPSHOT_INTERVAL, 500_000, 1_000_000];
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

interface Figures {
  interval: number;
  /** Seconds to run the steps forward, snapshots included. */
  forward: number;
  /** Seconds of each reverse-stepi at the end. */
  back: number[];
  snapshots: number;
  /** RAM bytes the snapshots hold (pages shared between snapshots counted once). */
  ramBytes: number;
}

function measure(kernel: Uint8Array, steps: number, backs: number, interval: number | null): Figures {
  const machine = new Machine({ kernel, maxInstructions: 20_000_000_000 });
  try {
    const timeline = interval === null ? null : new Timeline(machine, interval);
    const control = { steps, chunk: Infinity, breakpoints: NO_BREAKPOINTS };
    const started = performance.now();
    const outcome = timeline ? timeline.run(control) : machine.debugRun(control);
    const forward = (performance.now() - started) / 1000;
    if (!('pause' in outcome)) throw new Error(`the run ended after ${machine.debugSteps} steps (${outcome.message}); give fewer --steps`);
    const back: number[] = [];
    for (let i = 0; timeline && i < backs; i++) {
      const t = performance.now();
      timeline.stepBack();
      back.push((performance.now() - t) / 1000);
    }
    const cost = timeline?.cost ?? { snapshots: 0, ramBytes: 0 };
    return { interval: interval ?? 0, forward, back, snapshots: cost.snapshots, ramBytes: cost.ramBytes };
  } finally {
    machine.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '5000000' },
      back: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const steps = Number(values.steps);
  const backs = Number(values.back);
  const runs = Number(values.runs);
  // Forward time is noisy (V8 tiering, the host's other work): the best of the runs, every reverse step kept.
  const best = (interval: number | null): Figures => {
    const all = Array.from({ length: runs }, () => measure(kernel, steps, backs, interval));
    return { ...all[0]!, forward: Math.min(...all.map((f) => f.forward)), back: all.flatMap((f) => f.back) };
  };
  progress('building kernels/paging-timer.c...');
  const kernel = readFileSync(await buildBenchKernel('paging-timer', 1));
  // The first run also warms up V8; its figures are not reported.
  measure(kernel, steps, backs, SNAPSHOT_INTERVAL);
  const plain = best(null);
  progress(`no snapshots: ${fixed(plain.forward, 2)} s forward`);
  const rows: Figures[] = [];
  for (const interval of INTERVALS) {
    const f = best(interval);
    progress(`interval ${interval}: ${fixed(f.forward, 2)} s forward, reverse-stepi ${f.back.map((b) => fixed(b * 1000, 1)).join(' ')} ms`);
    rows.push(f);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ benchmark: 'reverse-step', steps, plainForward: plain.forward, intervals: rows }, null, 2)}\n`);
    return;
  }
  const header = ['interval', 'forward s', 'overhead', 'reverse-stepi ms (median, max)', 'snapshots', 'snapshot RAM MiB'];
  const table = rows.map((f) => {
    const sorted = [...f.back].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    return [
      `${f.interval}${f.interval === SNAPSHOT_INTERVAL ? ' (used)' : ''}`, fixed(f.forward, 2), `${fixed((f.forward / plain.forward - 1) * 100, 1)}%`,
      `${fixed(median * 1000, 1)}, ${fixed((sorted.at(-1) ?? 0) * 1000, 1)}`, String(f.snapshots), fixed(f.ramBytes / 2 ** 20, 2),
    ];
  });
  process.stdout.write(`reverse-stepi after ${steps} steps of kernels/paging-timer.c (no snapshots: ${fixed(plain.forward, 2)} s forward)\n`);
  process.stdout.write(`${formatTable(header, table)}\n`);
}

await main();
