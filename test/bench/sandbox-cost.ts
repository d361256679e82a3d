// What the build sandbox costs per compile: each of lab 3's kernel sources
// compiled with the grader's fixed flags, in the sandbox and on the host,
// alternately so that host noise falls on both alike. Part of the grading
// benchmark (`--only sandbox`); a cached grade starts no compile at all.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FLAGS } from '../../grader/toolchain/build.ts';
import { DEFAULT_LIMITS, runStep, sandboxProblem, stepPaths } from '../../grader/toolchain/sandbox.ts';
import { formatTable, progress, spreadOf, type Spread } from './measure.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KERNEL = path.join(REPO_ROOT, 'labs', 'kernel');

export interface SandboxCost {
  sources: number;
  /** Seconds per compile, over every source and round. */
  sandboxed: Spread;
  host: Spread;
  /** Median extra milliseconds a sandboxed compile takes. */
  extraMs: number;
  ratio: number;
}

/** Compiles every lab 3 kernel source `runs` times each way, or why the sandbox cannot run here. */
export async function measureSandboxCost(runs: number): Promise<SandboxCost | string> {
  const problem = sandboxProblem();
  if (problem !== null) return problem;
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'labs', '03-usermode', 'lab.json'), 'utf8')) as { kernel: { sources: string[] } };
  const work = mkdtempSync(path.join(os.tmpdir(), 'ringlab-sandbox-bench-'));
  try {
    const dirs = { hostSrc: path.join(work, 'src'), hostOut: path.join(work, 'out') };
    cpSync(KERNEL, path.join(dirs.hostSrc, 'kernel'), { recursive: true });
    mkdirSync(dirs.hostOut);
    const times = { sandboxed: [] as number[], host: [] as number[] };
    const compile = async (source: string, sandbox: boolean) => {
      const out = stepPaths({ sandbox, ...dirs }).out;
      const started = performance.now();
      const r = await runStep({ ...dirs, cwd: 'kernel', command: '/usr/bin/gcc', args: [...FLAGS.gcc.compile, '-I.', '-c', `./${source}`, '-o', `${out}/x.o`], sandbox, limits: DEFAULT_LIMITS });
      if (r.code !== 0) throw new Error(`${source} does not compile${sandbox ? ' in the sandbox' : ''}: ${r.output.split('\n')[0]}`);
      return (performance.now() - started) / 1000;
    };
    // One round unmeasured: the page cache and the compiler's first start.
    for (const source of manifest.kernel.sources) await compile(source, true);
    for (let round = 0; round < runs; round++) {
      progress(`sandbox cost: round ${round + 1} of ${runs}`);
      for (const source of manifest.kernel.sources) {
        const first = round % 2 === 0;
        times[first ? 'sandboxed' : 'host'].push(await compile(source, first));
        times[first ? 'host' : 'sandboxed'].push(await compile(source, !first));
      }
    }
    const sandboxed = spreadOf(times.sandboxed);
    const host = spreadOf(times.host);
    return { sources: manifest.kernel.sources.length, sandboxed, host, extraMs: (sandboxed.median - host.median) * 1000, ratio: sandboxed.median / host.median };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function sandboxCostLines(cost: SandboxCost | string): string[] {
  if (typeof cost === 'string') return ['Build sandbox: not measured: ' + cost];
  const ms = (s: Spread) => `${(s.median * 1000).toFixed(1)} ms (${(s.best * 1000).toFixed(1)}-${(s.worst * 1000).toFixed(1)})`;
  return [
    `Build sandbox: one gcc compile of each of lab 3's ${cost.sources} kernel sources, median per compile (best-worst)`,
    ...formatTable(['', 'per compile'], [
      ['in the sandbox', ms(cost.sandboxed)],
      ['on the host', ms(cost.host)],
    ]).split('\n'),
    `the sandbox adds ${cost.extraMs.toFixed(1)} ms per compile (${cost.ratio.toFixed(2)}x); a cached grade compiles nothing`,
  ];
}
