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
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildLab, firstErrorLine, type CompilerName } from '../toolchain/build.ts';
import { renderHandout } from './handout.ts';
import { findLab, LabError, listLabs, REPO_ROOT, type Lab } from '../course/labs.ts';
import { RELEASE_FIELD } from '../course/submission.ts';
import { hasRegions, hasSolutions, REGION_FILE_KINDS, RegionError, stripForLab } from '../course/solution-regions.ts';
import { firstLine } from '../messages.ts';

// What a release copies is decided by an allow-list: each part of the
// instructor's tree names the kinds of file a student needs from it, and
// nothing else is copied. A deny-list (skip build/, skip *.o) copies whatever
// nobody thought to deny, and that is how lab 3's reference kernel once reached
// students, as a built grader/build/.../kernel.elf copied along with the
// grader. With an allow-list a stray file (a build output, a cache, an editor's
// kmain.c~ holding the solution) stays behind; a needed file missing from the
// list shows up in the release check, and in the "left out" lines the command
// prints, before students see the release.

/** The parts of this repository a student's copy needs to grade itself. */
const TOOL_DIRS = ['engine', 'grader', 'templates'];
const TOOL_FILES = ['package-lock.json', 'tsconfig.json'];
/** The tool's sources: TypeScript and JavaScript modules (with .d.mts types) and handlebars templates. */
const TOOL_KINDS = /\.(ts|mts|js|mjs|hbs)$/;
/** Kernel and user-program sources: C, headers, assembly and linker scripts. */
const SOURCE_KINDS = REGION_FILE_KINDS;
/** Test specs and the helpers they import. */
const SPEC_KINDS = /\.(ts|mts|js|mjs)$/;
/** Images a handout may embed (see handout.ts). */
const IMAGE_KINDS = /\.(png|jpe?g|gif|webp|svg)$/i;
/**
 * Directories that hold what tools made (compiled kernels, the TypeScript
 * cache, installed packages): never copied, whatever the kinds of file in them.
 * Names starting with a dot (.cache, .git) are never copied either.
 */
const OUTPUT_DIRS = new Set(['build', 'cache', 'node_modules']);
/** Lab-folder entries that are for instructors only, even when a file in them has a kind students get. */
const INSTRUCTOR_ONLY = new Set(['hidden', 'mutants', 'instructor-notes.md']);
const LAB_FOLDER = /^(\d{2})-[a-z0-9-]+$/;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** What a student needs from a lab folder, by path inside it (with / separators). */
function studentNeedsInLab(rel: string): boolean {
  const parts = rel.split('/');
  const name = parts.at(-1) ?? '';
  if (parts.length === 1 && (name === 'lab.json' || name === 'handout.md')) return true;
  if (parts[0] === 'tests') return SPEC_KINDS.test(name);
  if (parts[0] === 'programs') return SOURCE_KINDS.test(name);
  return IMAGE_KINDS.test(name);
}

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

export interface ReleaseOptions {
  /** The checkout whose engine/, grader/ and templates/ the release carries (default: this one). */
  toolRoot?: string;
}

export interface WrittenRelease {
  lab: Lab;
  /**
   * Files of the tool or the course that no allow-list takes, for a person to
   * look over in case a student needs one. Not listed: later labs,
   * instructor-only files, dot-files and anything under an output directory.
   */
  leftOut: string[];
}

/** One release being written: from which course and tool, to where, for which lab. */
interface ReleasePlan {
  courseRoot: string;
  toolRoot: string;
  out: string;
  n: number;
  leftOut: string[];
  /** A folder outside the course copied along (hidden tests), and where it went. */
  extra?: { from: string; to: string };
}

/**
 * Writes the student repository for lab `n` of the course to `outDir`, which
 * must be missing or empty. On failure nothing is left behind.
 */
export async function writeRelease(courseRoot: string, n: number, outDir: string, opts: ReleaseOptions = {}): Promise<WrittenRelease> {
  const root = path.resolve(courseRoot);
  const toolRoot = path.resolve(opts.toolRoot ?? REPO_ROOT);
  const out = path.resolve(outDir);
  const lab = findLab(root, n);
  listLabs(root); // every manifest must load: a broken later lab is worth hearing about now
  for (const inside of [root, ...TOOL_DIRS.map((d) => path.join(toolRoot, d))]) {
    if (out === inside || out.startsWith(inside + path.sep)) throw new LabError(`--out ${out} is inside ${inside}; write the release somewhere else`);
  }
  const existed = existsSync(out);
  if (existed && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new LabError(`--out ${out} already exists and is not an empty directory; a release is written to a new directory`);
  }
  const plan: ReleasePlan = { courseRoot: root, toolRoot, out, n: lab.manifest.number, leftOut: [] };
  try {
    await mkdir(out, { recursive: true });
    await copyTool(plan);
    await copyCourse(plan);
    // Each released lab's handout also as a page, so a student needs no tool to read it.
    for (const released of listLabs(path.join(out, 'labs'))) {
      if (released.handout !== undefined) await writeFile(path.join(released.dir, 'handout.html'), await renderHandout(released));
    }
    const leaked = await findLeftoverMarkers(path.join(out, 'labs'));
    if (leaked !== undefined) throw new LabError(`${leaked}: still has a solution marker after stripping; the release would show reference code`);
    await writeFile(path.join(out, 'README.md'), studentReadme(lab));
    await mkdir(path.join(out, '.github', 'workflows'), { recursive: true });
    await writeFile(path.join(out, '.github', 'workflows', 'grade.yml'), gradeWorkflow(lab));
    await writeFile(path.join(out, '.gitignore'), 'node_modules/\n# Build outputs and caches: never in git.\nbuild/\n/report/\n.cache/\n*.o\n*.elf\n');
  } catch (e) {
    if (existed) for (const name of await readdir(out)) await rm(path.join(out, name), { recursive: true, force: true });
    else await rm(out, { recursive: true, force: true });
    if (e instanceof RegionError) throw new LabError(e.message);
    throw e;
  }
  return { lab, leftOut: plan.leftOut };
}

async function copyTool(plan: ReleasePlan): Promise<void> {
  const { toolRoot, out } = plan;
  for (const dir of TOOL_DIRS) await copyAllowed(path.join(toolRoot, dir), path.join(out, dir), { wanted: (rel) => TOOL_KINDS.test(rel) }, plan);
  for (const file of TOOL_FILES) await cp(path.join(toolRoot, file), path.join(out, file));
  // The test and benchmark scripts name suites a student's copy does not have.
  const pkg = JSON.parse(await readFile(path.join(toolRoot, 'package.json'), 'utf8')) as { scripts?: Record<string, string> } & Record<string, unknown>;
  if (pkg.scripts) {
    delete pkg.scripts.test;
    delete pkg.scripts.bench;
  }
  // Marks the copy as the student's: a grader running from it refuses hidden tests (submission.ts).
  pkg[RELEASE_FIELD] = { lab: plan.n };
  await writeFile(path.join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

/** The course a student gets: the kernel tree, stripped for lab n, and the lab folders up to n. */
async function copyCourse(plan: ReleasePlan): Promise<void> {
  const { courseRoot, n } = plan;
  const dest = path.join(plan.out, 'labs');
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(courseRoot, { withFileTypes: true })) {
    const from = path.join(courseRoot, entry.name);
    const to = path.join(dest, entry.name);
    const folder = entry.isDirectory() ? LAB_FOLDER.exec(entry.name) : null;
    if (entry.name.startsWith('.') || OUTPUT_DIRS.has(entry.name)) continue;
    if (folder) {
      if (Number(folder[1]) > n) continue;
      await copyAllowed(from, to, {
        instructorOnly: (rel) => INSTRUCTOR_ONLY.has(rel.split('/')[0] ?? ''),
        wanted: studentNeedsInLab,
        transform: (rel, text) => (rel.startsWith('tests/') ? rewriteImports(text, path.join(from, rel), path.join(to, rel), plan) : strip(text, n, path.join(entry.name, rel))),
      }, plan);
    } else if (entry.isDirectory() && entry.name === 'kernel') {
      await copyAllowed(from, to, { wanted: (rel) => SOURCE_KINDS.test(rel), transform: (rel, text) => strip(text, n, path.join(entry.name, rel)) }, plan);
    } else {
      plan.leftOut.push(from);
    }
  }
}

function strip(text: string, n: number, name: string): string {
  return SOURCE_KINDS.test(name) && hasRegions(text) ? stripForLab(text, n, name) : text;
}

/** How one tree is released; paths are relative to its root, with / separators. */
interface TreeRule {
  /** Files and directories never copied nor listed as left out. */
  instructorOnly?: (rel: string) => boolean;
  /** The allow-list: a file is copied when this says so, and only then. */
  wanted: (rel: string) => boolean;
  /** Rewrites a text file on the way. */
  transform?: (rel: string, text: string) => string;
}

/**
 * Copies the files of a tree that `rule` wants, never looking into dot or
 * output directories; files it does not want go on the plan's leftOut list.
 * A wanted file that is an ELF binary all the same stops the release.
 */
async function copyAllowed(from: string, to: string, rule: TreeRule, plan: ReleasePlan, rel = ''): Promise<void> {
  for (const entry of await readdir(path.join(from, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const source = path.join(from, child);
    if (entry.name.startsWith('.') || rule.instructorOnly?.(child)) continue;
    if (entry.isDirectory()) {
      if (!OUTPUT_DIRS.has(entry.name)) await copyAllowed(from, to, rule, plan, child);
      continue;
    }
    if (!entry.isFile()) continue;
    if (!rule.wanted(child)) {
      plan.leftOut.push(source);
      continue;
    }
    const bytes = await readFile(source);
    if (bytes.subarray(0, ELF_MAGIC.length).equals(ELF_MAGIC)) {
      throw new LabError(`${source}: an ELF binary named like a source file; a release never carries built code, so delete or rename it`);
    }
    // Binary files (images: a NUL in them) are copied as they are.
    const text = bytes.includes(0) || rule.transform === undefined ? bytes : rule.transform(child, bytes.toString('utf8'));
    await mkdir(path.dirname(path.join(to, child)), { recursive: true });
    await writeFile(path.join(to, child), text);
    // An executable stays one (the `lab` command's script), so that it runs however node_modules came to be.
    const { mode } = await stat(source);
    if ((mode & 0o111) !== 0) await chmod(path.join(to, child), mode & 0o777);
  }
}

/**
 * Test specs import the grader by relative path (`../../../grader/api/spec.ts`).
 * In the release the grader sits at the repository root and the course under
 * labs/, which need not be where they were relative to each other, so every
 * import is pointed at the released copy of what it names: the grader or
 * engine, the course, or (for an autograder's hidden tests) the hidden tests'
 * own folder. Anything else would be missing.
 */
function rewriteImports(text: string, original: string, released: string, plan: ReleasePlan): string {
  const { courseRoot, toolRoot, out } = plan;
  const inside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);
  const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;
  return text.replace(SPECIFIER, (_whole, lead: string, quote: string, spec: string) => {
    const releasedAt = (target: string) => {
      const tool = TOOL_DIRS.find((d) => inside(path.join(toolRoot, d), target));
      return plan.extra && inside(plan.extra.from, target) ? path.join(plan.extra.to, path.relative(plan.extra.from, target))
        : inside(courseRoot, target) ? path.join(out, 'labs', path.relative(courseRoot, target))
        : tool !== undefined ? path.join(out, path.relative(toolRoot, target))
        : undefined;
    };
    // Through a link as well: a course may reach the grader through one.
    const named = path.resolve(path.dirname(original), spec);
    const there = releasedAt(named) ?? (existsSync(named) ? releasedAt(realpathSync(named)) : undefined);
    if (there === undefined) {
      throw new LabError(`${original}: imports ${spec}, which is neither in the course nor in the grader; the student's repository would not have it`);
    }
    let moved = path.relative(path.dirname(released), there).split(path.sep).join('/');
    if (!moved.startsWith('.')) moved = `./${moved}`;
    return `${lead}${quote}${moved}${quote}`;
  });
}

/**
 * Copies the hidden tests in `hiddenDir` into a written release, for an
 * autograder's private copy of the grader (never a student's): at their place
 * in the course when they live in it, else under hidden/, with their imports
 * pointed at the release. Returns where they went.
 */
export async function copyHiddenTests(courseRoot: string, n: number, hiddenDir: string, releaseDir: string): Promise<string> {
  const root = path.resolve(courseRoot);
  const from = path.resolve(hiddenDir);
  const out = path.resolve(releaseDir);
  const inCourse = from.startsWith(root + path.sep);
  const to = inCourse ? path.join(out, 'labs', path.relative(root, from)) : path.join(out, 'hidden');
  const plan: ReleasePlan = { courseRoot: root, toolRoot: REPO_ROOT, out, n, leftOut: [], extra: { from, to } };
  await copyAllowed(from, to, {
    wanted: (rel) => SPEC_KINDS.test(rel) || rel.endsWith('.json'),
    transform: (rel, text) => (SPEC_KINDS.test(rel) ? rewriteImports(text, path.join(from, rel), path.join(to, rel), plan) : text),
  }, plan);
  return to;
}

/** The first released course file that still has a marker, if any (belt and braces over stripForLab). */
async function findLeftoverMarkers(dir: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = await readFile(file, 'utf8');
    if (SOURCE_KINDS.test(entry.name) && hasSolutions(text)) return file;
  }
  return undefined;
}

function studentReadme(lab: Lab): string {
  const m = lab.manifest;
  const folder = m.slug;
  // A real spec file of this lab for the --test example.
  const first = (existsSync(lab.testsDir) ? readdirSync(lab.testsDir) : []).filter((f) => SPEC_KINDS.test(f) && !f.endsWith('.d.ts')).sort()[0]?.replace(SPEC_KINDS, '') ?? 'NAME';
  return `# Lab ${m.number}: ${m.title}

Your kernel is in \`labs/kernel/\`; comments starting with \`STUDENT lab${m.number}\`
mark what to write. The handout is \`labs/${folder}/handout.md\` (and
\`labs/${folder}/handout.html\`, the same as a page).

## Set up (once)

Node.js 20 or later, a 32-bit C toolchain, and bubblewrap, the sandbox the
grader compiles in (on Debian or Ubuntu: \`sudo apt-get install gcc-multilib
bubblewrap\`; clang and lld work too, with \`CC=clang\`), then:

\`\`\`sh
npm ci
\`\`\`

## Grade your work

\`\`\`sh
npx lab grade ${m.number}                 # score and a summary of each test
npx lab grade ${m.number} --out report    # also report/report.html: why each test failed
npx lab build ${m.number}                 # just compile, as the grader does
npx lab grade ${m.number} --test ${first}    # only the tests of ${first}.ts (any start of a test's id)
npx lab run ${m.number} --test ID --trace   # replay one test's run (ID as the summary prints it), with every interrupt
\`\`\`

Under each failed test the summary prints the \`lab run\` command that
replays exactly that run. An edit rebuilds only what it touched, so a
verdict takes about a second.

The grader compiles \`labs/kernel/\` itself with fixed flags (your Makefile, if
you add one, is not used) and runs your kernel on an emulated PC. The course
grades with more tests than the ones in \`labs/${folder}/tests/\`.

## On GitHub

Every push runs the public tests (\`.github/workflows/grade.yml\`): the score is
on the workflow run's summary page and the HTML report is its artifact. The
hidden tests are not in this repository and never run in its workflows; the
course staff grade them from their own copy of the grader.
`;
}

/**
 * The workflow a student's repository runs on every push (GitHub Actions, as
 * GitHub Classroom uses it): the public tests, the terminal summary on the
 * run's page, the HTML report as an artifact. Ubuntu's runners restrict
 * unprivileged user namespaces (an AppArmor setting), which the build sandbox
 * needs, so the job lifts that restriction on its own throwaway machine.
 */
function gradeWorkflow(lab: Lab): string {
  const n = lab.manifest.number;
  return `name: lab ${n}
on: [push, workflow_dispatch]
jobs:
  grade:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Toolchain and sandbox
        run: |
          sudo apt-get update
          sudo apt-get install -y gcc-multilib bubblewrap
          sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
      - run: npm ci
      - name: Grade lab ${n} (public tests)
        run: |
          echo '\`\`\`' >> "$GITHUB_STEP_SUMMARY"
          status=0
          npx lab grade ${n} --out report | tee -a "$GITHUB_STEP_SUMMARY" || status=$?
          echo '\`\`\`' >> "$GITHUB_STEP_SUMMARY"
          exit $status
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: lab-${n}-report
          path: report/
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
      return { ok: false, expected, problem: `the starter's ${built.stage} does not build: ${firstErrorLine(built.log)}`, summary: built.log };
    }
    // The release's grader needs this repository's packages; a link stands in for `npm ci`.
    if (linked) await symlink(path.join(REPO_ROOT, 'node_modules'), modules, 'dir');
    const reportDir = path.join(work, 'report');
    const args = [path.join(out, 'grader', 'cli', 'lab.js'), 'grade', String(lab.manifest.number), '--out', reportDir, ...(opts.cc ? ['--cc', opts.cc] : [])];
    const run = await runNode(args, out);
    if (run.status !== 0 && run.status !== 1) {
      return { ok: false, expected, problem: `the release's own grader could not run (status ${run.status}): ${firstLine(run.stderr.trim())}`, summary: run.stdout };
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
