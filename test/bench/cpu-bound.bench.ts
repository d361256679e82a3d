// How fast the engine runs ordinary gcc -O2 kernel code, against QEMU's TCG
// on the same kernel in the same run. `npm run bench` runs this file; see
// test/bench/README.md for what each figure means.

import {
  ChecksumCheck, DEFAULT_ROUNDS, buildBenchKernel, fixed, formatTable, describeHostNoise, engineRevision, parseBenchArgs, progress,
  qemuNet, runOnEngine, runUnderQemu, spreadOf, steadyRuns, watchHost, type EngineRun, type Spread,
} from './measure.ts';

const USAGE = `usage: tsx test/bench/cpu-bound.bench.ts [options]

Runs test/bench/kernels/cpu-bound.c (built at -O2) on the engine and under
qemu-system-i386, checks both print the same checksum, and reports engine
MIPS and the engine/QEMU time ratio.

  --runs N        engine runs (default 3; the first also warms up V8)
  --qemu-runs N   QEMU runs of the kernel and of a kernel that exits at once (default 10)
  --rounds N      workload rounds, ~7.1 million instructions each (default ${DEFAULT_ROUNDS})
  --no-qemu       engine only
  --json          print the results as JSON on stdout (progress stays on stderr)
`;

interface QemuFigures {
  /** Every run, start-up included. */
  runs: number[];
  /** Runs of a kernel that exits at once: QEMU's start-up and shutdown. */
  startupRuns: number[];
  seconds: Spread;
  startup: Spread;
  /** Seconds for the work alone (best less best start-up, median less median start-up). */
  net: { best: number; median: number };
}

async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2), USAGE);
  const stopWatching = watchHost();
  progress(`building kernels (${opts.rounds} rounds)...`);
  const kernel = await buildBenchKernel('cpu-bound', opts.rounds);
  const trivial = await buildBenchKernel('exit-at-once', opts.rounds, false);
  const checks = new ChecksumCheck();

  const runs: EngineRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const run = runOnEngine(kernel);
    checks.engine(`engine run ${i + 1}`, run);
    if (runs.length > 0 && run.instructions !== runs[0]!.instructions) {
      throw new Error(`engine run ${i + 1} retired ${run.instructions} instructions, run 1 ${runs[0]!.instructions}: the engine is not deterministic`);
    }
    runs.push(run);
    progress(`engine run ${i + 1}/${opts.runs}: ${fixed(run.seconds, 2)} s, ${fixed(run.mips, 1)} MIPS`);
  }
  const instructions = runs[0]!.instructions;
  const engineSeconds = spreadOf(steadyRuns(runs).map((r) => r.seconds));

  let qemu: QemuFigures | null = null;
  if (opts.qemu) {
    const work: number[] = [];
    const startup: number[] = [];
    // Alternate the two kernels so that a burst of load elsewhere hits both.
    for (let i = 0; i < opts.qemuRuns; i++) {
      const t = await runUnderQemu(trivial);
      startup.push(t.seconds);
      const w = await runUnderQemu(kernel);
      checks.qemu(`QEMU run ${i + 1}`, w);
      work.push(w.seconds);
      progress(`QEMU run ${i + 1}/${opts.qemuRuns}: ${fixed(w.seconds, 3)} s (start-up alone ${fixed(t.seconds, 3)} s)`);
    }
    const seconds = spreadOf(work);
    const start = spreadOf(startup);
    qemu = {
      runs: work,
      startupRuns: startup,
      seconds,
      startup: start,
      net: { best: qemuNet(seconds, start), median: Math.max(seconds.median - start.median, 0) },
    };
  }
  const noise = stopWatching();

  const ratio = qemu && {
    withStartup: { best: engineSeconds.best / qemu.seconds.best, median: engineSeconds.median / qemu.seconds.median },
    workAlone: { best: engineSeconds.best / qemu.net.best, median: engineSeconds.median / qemu.net.median },
  };

  if (opts.json) {
    const result = {
      benchmark: 'cpu-bound',
      kernel,
      rounds: opts.rounds,
      instructions,
      checksum: checks.expected,
      engineRevision: engineRevision(),
      host: noise,
      engine: {
        runs: runs.map((r) => ({ seconds: r.seconds, mips: r.mips })),
        seconds: engineSeconds,
        mips: { best: instructions / engineSeconds.best / 1e6, median: instructions / engineSeconds.median / 1e6 },
      },
      qemu,
      ratio,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }

  const first = runs[0]!;
  const mips = (s: number) => fixed(instructions / s / 1e6, 1);
  const rows: string[][] = [
    ['engine seconds', fixed(engineSeconds.best, 2), fixed(engineSeconds.median, 2), fixed(first.seconds, 2)],
    ['engine MIPS', mips(engineSeconds.best), mips(engineSeconds.median), fixed(first.mips, 1)],
  ];
  if (qemu && ratio) {
    rows.push(
      ['QEMU seconds, start-up included', fixed(qemu.seconds.best, 3), fixed(qemu.seconds.median, 3), ''],
      ['QEMU start-up alone', fixed(qemu.startup.best, 3), fixed(qemu.startup.median, 3), ''],
      ['QEMU seconds, work alone', fixed(qemu.net.best, 3), fixed(qemu.net.median, 3), ''],
      ['engine / QEMU, start-up included', `${fixed(ratio.withStartup.best, 1)}x`, `${fixed(ratio.withStartup.median, 1)}x`, ''],
      ['engine / QEMU, work alone', `${fixed(ratio.workAlone.best, 1)}x`, `${fixed(ratio.workAlone.median, 1)}x`, ''],
    );
  }
  const steadyNote = runs.length > 1 ? `runs 2-${runs.length}` : 'the one run';
  console.log(`\ncpu-bound: ${instructions.toLocaleString('en-US')} instructions per run, checksum ${checks.expected}, ${opts.rounds} rounds at -O2`);
  console.log(formatTable(['', 'best', 'median', 'first run'], rows));
  console.log(`\nengine ${engineRevision()}; best/median over ${steadyNote}${qemu ? `; QEMU over ${opts.qemuRuns} runs` : ''}.`);
  console.log(
    `noise: engine runs differ by ${fixed(engineSeconds.spread * 100, 1)}%` +
      (qemu ? `, QEMU runs by ${fixed(qemu.seconds.spread * 100, 1)}% (start-up alone ${fixed(qemu.startup.spread * 100, 1)}%)` : '') +
      `; ${describeHostNoise(noise)}.`,
  );
}

main().catch((e: unknown) => {
  progress(`cpu-bound bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
