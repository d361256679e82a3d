// `lab release N`: the repository a student of lab N gets. It is
// self-contained: the grader and the engine (so `npm ci && npx lab grade N`
// works in it with no other checkout) and the course under labs/, with the
// kernel's solution regions of lab N and later cut out and everything that is
// the instructor's alone left out: later labs, hidden tests, mutants and
// instructor notes. A release is then checked the way a student would meet
// it: it must build, and its own grader must give it the manifest's
// starterScore, so a solution that leaked (too high) or a starter that does not
// compile (too low) is caught before students see it.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildLab, type CompilerName } from './build.ts';
import { renderHandout } from './handout.ts';
import { findLab, LabError, listLabs, REPO_ROOT, type Lab } from './labs.ts';
import { hasRegions, RegionError, stripForLab } from './solution-regions.ts';

/** The parts of this repository a student's copy needs to grade itself. */
const TOOL_DIRS = ['engine', 'grader', 'templates'];
const TOOL_FILES = ['package-lock.json', 'tsconfig.json'];
/** Lab-folder entries that are for instructors only. */
const INSTRUCTOR_ONLY = new Set(['hidden', 'mutants', 'instructor-notes.md']);
const LAB_FOLDER = /^(\d{2})-[a-z0-9-]+$/;
const SPEC_FILE = /\.(ts|mts|js|mjs)$/;
const SOURCE_FILE = /\.(c|h|S|s|ld|inc)$/;

export interface ReleaseCheck {
  ok: boolean;
  /** The starter's score and the most it could get, when it was graded. */
  score?: number;
  maxScore?: number;
  expected: number;
  /** One line: what went wrong (unset when ok). */
  problem?: string;
  /** The grader's terminal summary of the starter, for a person to read when the score is off. */
  summary?: string;
}

/**
 * Writes the student repository for lab `n` of the course to `outDir`, which
 * must be missing or empty. On failure nothing is left behind.
 */
export async function writeRelease(courseRoot: string, n: number, outDir: string): Promise<Lab> {
  const root = path.resolve(courseRoot);
  const out = path.resolve(outDir);
  const lab = findLab(root, n);
  listLabs(root); // every manifest must load: a broken later lab is worth hearing about now
  for (const inside of [root, ...TOOL_DIRS.map((d) => path.join(REPO_ROOT, d))]) {
    if (out === inside || out.startsWith(inside + path.sep)) throw new LabError(`--out ${out} is inside ${inside}; write the release somewhere else`);
  }
  const existed = existsSync(out);
  if (existed && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new LabError(`--out ${out} already exists and is not an empty directory; a release is written to a new directory`);
  }
  try {
    await mkdir(out, { recursive: true });
    await copyTool(out);
    await copyCourse(root, path.join(out, 'labs'), lab, out);
    // Each released lab's handout also as a page, so a student needs no tool to read it.
    for (const released of listLabs(path.join(out, 'labs'))) {
      if (released.handout !== undefined) await writeFile(path.join(released.dir, 'handout.html'), await renderHandout(released));
    }
    const leaked = await findLeftoverMarkers(path.join(out, 'labs'));
    if (leaked !== undefined) throw new LabError(`${leaked}: still has a solution marker after stripping; the release would show reference code`);
    await writeFile(path.join(out, 'README.md'), studentReadme(lab));
    await writeFile(path.join(out, '.gitignore'), 'node_modules/\n/build/\n/report/\n');
  } catch (e) {
    if (existed) for (const name of await readdir(out)) await rm(path.join(out, name), { recursive: true, force: true });
    else await rm(out, { recursive: true, force: true });
    if (e instanceof RegionError) throw new LabError(e.message);
    throw e;
  }
  return lab;
}

async function copyTool(out: string): Promise<void> {
  const skipDots = (src: string) => !path.basename(src).startsWith('.');
  for (const dir of TOOL_DIRS) await cp(path.join(REPO_ROOT, dir), path.join(out, dir), { recursive: true, filter: skipDots });
  for (const file of TOOL_FILES) await cp(path.join(REPO_ROOT, file), path.join(out, file));
  // The test and benchmark scripts name suites a student's copy does not have.
  const pkg = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  if (pkg.scripts) {
    delete pkg.scripts.test;
    delete pkg.scripts.bench;
  }
  await writeFile(path.join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

async function copyCourse(root: string, dest: string, lab: Lab, out: string): Promise<void> {
  const n = lab.manifest.number;
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const from = path.join(root, entry.name);
    const to = path.join(dest, entry.name);
    const folder = LAB_FOLDER.exec(entry.name);
    if (entry.isDirectory() && folder) {
      if (Number(folder[1]) > n) continue;
      await copyTree(from, to, (rel) => !INSTRUCTOR_ONLY.has(rel.split(path.sep)[0]), async (rel, text) => {
        if (rel.startsWith(`tests${path.sep}`) && SPEC_FILE.test(rel)) return rewriteImports(text, from, to, rel, root, out);
        return strip(text, n, path.join(entry.name, rel));
      });
    } else if (entry.isDirectory()) {
      await copyTree(from, to, () => true, async (rel, text) => strip(text, n, path.join(entry.name, rel)));
    } else if (entry.isFile()) {
      await cp(from, to);
    }
  }
}

function strip(text: string, n: number, name: string): string {
  return SOURCE_FILE.test(name) && hasRegions(text) ? stripForLab(text, n, name) : text;
}

/** Copies a tree, leaving out dot-files and what `keep` refuses; text files pass through `transform`. */
async function copyTree(from: string, to: string, keep: (rel: string) => boolean, transform: (rel: string, text: string) => Promise<string>, rel = ''): Promise<void> {
  await mkdir(path.join(to, rel), { recursive: true });
  for (const entry of await readdir(path.join(from, rel), { withFileTypes: true })) {
    const child = path.join(rel, entry.name);
    if (entry.name.startsWith('.') || !keep(child)) continue;
    if (entry.isDirectory()) await copyTree(from, to, keep, transform, child);
    else if (entry.isFile()) {
      const bytes = await readFile(path.join(from, child));
      // Binary files (a NUL in them) are copied as they are.
      const out = bytes.includes(0) ? bytes : await transform(child, bytes.toString('utf8'));
      await writeFile(path.join(to, child), out);
    }
  }
}

/**
 * Test specs import the grader by relative path (`../../../grader/spec.ts`).
 * In the release the grader sits at the repository root and the course under
 * labs/, which need not be where they were relative to each other, so every
 * import into the grader or the engine is pointed at the released copy.
 * Imports within the course keep their paths; anything else would be missing.
 */
function rewriteImports(text: string, fromDir: string, toDir: string, rel: string, courseRoot: string, out: string): string {
  const original = path.join(fromDir, rel);
  const released = path.join(toDir, rel);
  const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
  return text.replace(SPECIFIER, (whole, lead: string, quote: string, spec: string) => {
    const target = path.resolve(path.dirname(original), spec);
    if (target === courseRoot || target.startsWith(courseRoot + path.sep)) return whole;
    const tool = TOOL_DIRS.find((d) => target.startsWith(path.join(REPO_ROOT, d) + path.sep));
    if (tool === undefined) {
      throw new LabError(`${original}: imports ${spec}, which is neither in the course nor in the grader; the student's repository would not have it`);
    }
    let moved = path.relative(path.dirname(released), path.join(out, path.relative(REPO_ROOT, target))).split(path.sep).join('/');
    if (!moved.startsWith('.')) moved = `./${moved}`;
    return `${lead}${quote}${moved}${quote}`;
  });
}

/** The first released course file that still has a marker, if any (belt and braces over stripForLab). */
async function findLeftoverMarkers(dir: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (SOURCE_FILE.test(entry.name) && /BEGIN\s+SOLUTION/.test(text)) return file;
  }
  return undefined;
}

function studentReadme(lab: Lab): string {
  const m = lab.manifest;
  const folder = m.slug;
  return `# Lab ${m.number}: ${m.title}

Your kernel is in \`labs/kernel/\`; comments starting with \`STUDENT lab${m.number}\`
mark what to write. The handout is \`labs/${folder}/handout.md\` (and
\`labs/${folder}/handout.html\`, the same as a page).

## Set up (once)

Node.js 20 or later, and a 32-bit C toolchain (on Debian or Ubuntu:
\`sudo apt-get install gcc-multilib\`, or clang and lld), then:

\`\`\`sh
npm ci
\`\`\`

## Grade your work

\`\`\`sh
npx lab grade ${m.number}                 # score and a summary of each test
npx lab grade ${m.number} --out report    # also report/report.html: why each test failed
npx lab build ${m.number}                 # just compile, as the grader does
\`\`\`

The grader compiles \`labs/kernel/\` itself with fixed flags (your Makefile, if
you add one, is not used) and runs your kernel on an emulated PC. The course
grades with more tests than the ones in \`labs/${folder}/tests/\`.
`;
}

/**
 * Checks a written release as a student would meet it: the starter builds,
 * and the release's own grader, run in it, scores it at the manifest's
 * starterScore. The release is left as it was written (the check's
 * node_modules link and build cache are removed again).
 */
export async function checkRelease(outDir: string, lab: Lab, opts: { cc?: CompilerName } = {}): Promise<ReleaseCheck> {
  const out = path.resolve(outDir);
  const expected = lab.manifest.starterScore;
  const course = path.join(out, 'labs');
  const work = await mkdtemp(path.join(os.tmpdir(), 'ringlab-release-'));
  const modules = path.join(out, 'node_modules');
  const linked = !existsSync(modules);
  try {
    const released = findLab(course, lab.manifest.number);
    const built = await buildLab(course, released.manifest, { outDir: path.join(work, 'build'), ...(opts.cc ? { cc: opts.cc } : {}) });
    if (!built.ok) {
      const first = built.log.split('\n').find((l) => /error/i.test(l)) ?? built.log.split('\n')[0];
      return { ok: false, expected, problem: `the starter's ${built.stage} does not build: ${first.trim()}`, summary: built.log };
    }
    // The release's grader needs this repository's packages; a link stands in for `npm ci`.
    if (linked) await symlink(path.join(REPO_ROOT, 'node_modules'), modules, 'dir');
    const reportDir = path.join(work, 'report');
    const args = [path.join(out, 'grader', 'cli', 'lab.js'), 'grade', String(lab.manifest.number), '--out', reportDir, ...(opts.cc ? ['--cc', opts.cc] : [])];
    const run = await runNode(args, out);
    if (run.status !== 0 && run.status !== 1) {
      return { ok: false, expected, problem: `the release's own grader could not run (status ${run.status}): ${run.stderr.trim().split('\n')[0] ?? ''}`, summary: run.stdout };
    }
    const results = JSON.parse(await readFile(path.join(reportDir, 'results.json'), 'utf8')) as { score: number; tests: { max_score?: number }[] };
    const maxScore = results.tests.reduce((sum, t) => sum + (t.max_score ?? 0), 0);
    const ok = Math.abs(results.score - expected) < 1e-6;
    const problem = ok
      ? undefined
      : `the starter scores ${results.score}, not the manifest's starterScore ${expected}; ${results.score > expected ? 'some solution code may have been left in, or a test passes without the lab\'s work' : 'the starter misses points the manifest expects it to keep'}`;
    return { ok, score: results.score, maxScore, expected, summary: run.stdout, ...(problem ? { problem } : {}) };
  } finally {
    if (linked) await rm(modules, { force: true });
    await rm(path.join(out, 'build'), { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

function runNode(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' };
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}
