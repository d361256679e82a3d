// A course graded at once (issue 17's target): 100 synthetic lab-3
// submissions, the reference, the starter and every mutant, repeated, graded
// with the hidden tests by the real `lab grade-all` command. How much of each
// submission is its own (--vary): `lab` (default), the C files a lab-3
// student writes (those where the starter and the reference differ) differ
// from every other submission's, as students' own code does, and the files
// nobody edits are the release's; `all`, every C file differs, so no compiled
// object is shared and every build is cold; `none`, the kinds repeat byte for
// byte. Prints the wall time, the time per submission and the peak memory of
// the grading process; nothing here asserts a time.

import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeHostNoise, progress, watchHost } from './measure.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAB = path.join(REPO_ROOT, 'grader', 'cli', 'lab.js');
const LAB3 = path.join(REPO_ROOT, 'labs', '03-usermode');

const USAGE = `usage: tsx test/bench/grade-all.bench.ts [--submissions N] [--vary lab|all|none]

  --submissions N   how many submissions to grade (default 100)
  --vary WHAT       which C files differ between submissions: lab (those a lab-3
                    student writes; default), all, or none
`;

type Vary = 'lab' | 'all' | 'none';

function lab(args: string[]): string {
  const r = spawnSync(process.execPath, [LAB, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  if (r.status !== 0) throw new Error(`lab ${args.join(' ')}: status ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** A kernel tree as a student's repository has it, from `lab release N` (solutions of earlier labs in place). */
function releasedKernel(n: number, scratch: string): string {
  const out = path.join(scratch, `release-${n}`);
  lab(['release', String(n), '--out', out, '--no-check']);
  return path.join(out, 'labs', 'kernel');
}

interface MutantFile {
  edits: { file: string; find: string; replace: string }[];
}

/** The C files a lab-3 student writes: those where the starter and the reference differ. */
function studentWritten(starter: string, reference: string): string[] {
  return readdirSync(starter).filter((f) => f.endsWith('.c') && !readFileSync(path.join(starter, f)).equals(readFileSync(path.join(reference, f))));
}

/** The kinds of submission: the reference, the starter, and each mutant of lab 3. */
function kinds(scratch: string): { name: string; kernel: string }[] {
  // The tree as a student who finished lab 3 has it: lab 4's release, where it exists; else the course's own tree.
  const reference = existsSync(path.join(REPO_ROOT, 'labs', '04-virtual-memory')) ? releasedKernel(4, scratch) : path.join(REPO_ROOT, 'labs', 'kernel');
  const all = [{ name: 'reference', kernel: reference }, { name: 'starter', kernel: releasedKernel(3, scratch) }];
  for (const file of readdirSync(path.join(LAB3, 'mutants')).filter((f) => f.endsWith('.json')).sort()) {
    const mutant = JSON.parse(readFileSync(path.join(LAB3, 'mutants', file), 'utf8')) as MutantFile;
    const kernel = path.join(scratch, 'mutants', file.replace(/\.json$/, ''));
    cpSync(reference, kernel, { recursive: true });
    for (const edit of mutant.edits) {
      const target = path.join(kernel, edit.file.replace(/^kernel\//, ''));
      writeFileSync(target, readFileSync(target, 'utf8').replace(edit.find, edit.replace));
    }
    all.push({ name: file.replace(/\.json$/, ''), kernel });
  }
  return all;
}

function main(): void {
  const { values } = parseArgs({ options: { submissions: { type: 'string', default: '100' }, vary: { type: 'string', default: 'lab' }, help: { type: 'boolean' } } });
  if (values.help || !['lab', 'all', 'none'].includes(values.vary)) {
    process.stdout.write(USAGE);
    return;
  }
  const vary = values.vary as Vary;
  const count = Number(values.submissions);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'ringlab-bench-grade-all-'));
  try {
    const subs = path.join(scratch, 'submissions');
    const sorts = kinds(scratch);
    const written = studentWritten(sorts[1]!.kernel, sorts[0]!.kernel);
    for (let i = 0; i < count; i++) {
      const kind = sorts[i % sorts.length]!;
      const kernel = path.join(subs, `s${String(i).padStart(3, '0')}-${kind.name}`, 'labs', 'kernel');
      mkdirSync(path.dirname(kernel), { recursive: true });
      cpSync(kind.kernel, kernel, { recursive: true });
      const differing = vary === 'all' ? readdirSync(kernel).filter((n) => n.endsWith('.c')) : vary === 'lab' ? written : [];
      for (const f of differing) appendFileSync(path.join(kernel, f), `/* submission ${i} */\n`);
    }
    const own = vary === 'all' ? 'every C file its own' : vary === 'lab' ? `its own ${written.join(', ')}` : 'kinds repeated byte for byte';
    progress(`grading ${count} submissions (${sorts.length} kinds; ${own}) with lab 3's hidden tests`);
    const host = watchHost();
    const started = performance.now();
    // GNU time reports the peak resident size; without it (Debian package time) memory goes unmeasured.
    const timer = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M'] : [];
    const [command, ...prefix] = [...timer, process.execPath];
    const r = spawnSync(command!, [...prefix, LAB, 'grade-all', '3', subs, '--hidden', path.join(LAB3, 'hidden'), '--out', path.join(scratch, 'out')], {
      cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' },
    });
    const seconds = (performance.now() - started) / 1000;
    if (r.status !== 0) {
      // Status 1: rows with grader errors, which say what broke.
      const gradebook = path.join(scratch, 'out', 'gradebook.csv');
      const errors = existsSync(gradebook) ? readFileSync(gradebook, 'utf8').split('\r\n').filter((l) => l.includes(',grader-error,')) : [];
      throw new Error(`lab grade-all: status ${r.status}: ${errors.length > 0 ? errors.join('\n') : r.stderr.slice(-2000)}`);
    }
    const peakKiB = timer.length > 0 ? Number(r.stderr.trim().split('\n').at(-1)) : NaN;
    process.stdout.write(r.stdout);
    // What each kind scored: the reference full marks, the starter and the mutants less.
    const scores = new Map<string, string>();
    for (const line of readFileSync(path.join(scratch, 'out', 'gradebook.csv'), 'utf8').split('\r\n').slice(1)) {
      const [student, , score] = line.split(',');
      if (student) scores.set(student.replace(/^s\d+-/, ''), score ?? '');
    }
    process.stdout.write(`scores by kind: ${[...scores].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    process.stdout.write(
      `${count} submissions in ${seconds.toFixed(1)} s: ${(seconds / count).toFixed(2)} s each; ` +
        (Number.isNaN(peakKiB) ? 'peak memory not measured (no /usr/bin/time)\n' : `peak memory of the grading process ${(peakKiB / 1024).toFixed(0)} MiB (its compilers and sandboxes not counted)\n`) +
        `host: ${describeHostNoise(host())}\n`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

main();
