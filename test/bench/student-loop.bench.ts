// The student's loop, timed as a student meets it: lab 3 released to a new
// repository, the reference kernel files put in (a student who has done the
// work), then a cold `lab build 3`, and `lab grade 3` after a one-file edit,
// and the instructor's `lab validate 3`. With --compare DIR the same steps
// run with another checkout of ringlab (an older commit, say) in the same
// session, side by side. Figures are wall times of the real CLI; nothing here
// asserts a time.

import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, progress, spreadOf, watchHost, describeHostNoise, type Spread } from './measure.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EDITED = ['main.c', 'trap.c', 'proc.c', 'syscall.c', 'vm.c'];

const USAGE = `usage: tsx test/bench/student-loop.bench.ts [--runs N] [--compare DIR]

  --runs N        edits graded and validations timed (default 3)
  --compare DIR   also time another ringlab checkout (with its node_modules) the same way
`;

interface LoopFigures {
  coldBuild: number;
  editToVerdict: Spread;
  validate: Spread;
}

function timed(args: string[], cwd: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${args.join(' ')} in ${cwd}: status ${r.status}: ${r.stderr.toString().trim()}`);
  return (performance.now() - started) / 1000;
}

/** The student's repository for lab 3 written by `tool`, with the reference kernel in it and fresh caches. */
function studentRepo(tool: string, scratch: string): string {
  const repo = path.join(scratch, `student-${path.basename(tool)}-${readdirSync(scratch).length}`);
  const r = spawnSync(process.execPath, [path.join(tool, 'grader/cli/lab.js'), 'release', '3', '--out', repo, '--no-check'], { cwd: tool });
  if (r.status !== 0) throw new Error(`lab release 3 with ${tool}: ${r.stderr.toString().trim()}`);
  symlinkSync(path.join(tool, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
  for (const f of readdirSync(path.join(tool, 'labs', 'kernel'))) cpSync(path.join(tool, 'labs', 'kernel', f), path.join(repo, 'labs', 'kernel', f));
  return repo;
}

function measureLoop(tool: string, runs: number, scratch: string): LoopFigures {
  const repo = studentRepo(tool, scratch);
  const cli = path.join(repo, 'grader/cli/lab.js');
  // The first command also compiles the grader's TypeScript: not what a student waits for on every edit.
  timed([cli, 'list'], repo);
  progress(`${tool}: cold build of lab 3`);
  const coldBuild = timed([cli, 'build', '3'], repo);
  const edits: number[] = [];
  for (let i = 0; i < runs; i++) {
    appendFileSync(path.join(repo, 'labs', 'kernel', EDITED[i % EDITED.length]!), `/* edit ${i} */\n`);
    edits.push(timed([cli, 'grade', '3'], repo));
  }
  const validations: number[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`${tool}: lab validate 3, ${i + 1} of ${runs}`);
    validations.push(timed([path.join(tool, 'grader/cli/lab.js'), 'validate', '3'], tool));
  }
  return { coldBuild, editToVerdict: spreadOf(edits), validate: spreadOf(validations) };
}

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, compare: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs ${values.runs}: give a whole number of at least 1`);
  const host = watchHost();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'ringlab-loop-bench-'));
  try {
    const tools = [REPO_ROOT, ...(values.compare ? [path.resolve(values.compare)] : [])];
    const figures = tools.map((t) => measureLoop(t, runs, scratch));
    const s = (x: number) => `${x.toFixed(2)} s`;
    const med = (x: Spread) => `${s(x.median)} (${x.best.toFixed(2)}-${x.worst.toFixed(2)})`;
    const header = ['', ...tools.map((t) => (t === REPO_ROOT ? 'this checkout' : path.basename(t))), 'target'];
    const rows = [
      ['cold lab build 3', ...figures.map((f) => s(f.coldBuild)), '<= 8 s'],
      ['one-file edit -> lab grade 3', ...figures.map((f) => med(f.editToVerdict)), '<= 1.5 s'],
      ['lab validate 3', ...figures.map((f) => med(f.validate)), '<= 20 s'],
    ];
    process.stdout.write(`${formatTable(header, rows)}\n${describeHostNoise(host())}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
