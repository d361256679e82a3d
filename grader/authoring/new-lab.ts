// `lab new N SLUG --title "..."`: a new lab folder that `lab validate N`
// accepts at once, for an instructor to grow from. It takes the kernel
// set-up (sources, linker script, budgets, RAM) of the course's latest lab,
// since every lab builds the one kernel tree, and it writes tests about what
// that kernel already does: the reference is built and booted once, and its
// first line of output becomes what the public and the hidden test look for.
// The mutant removes that line from the kernel's source, so the tests are
// shown to catch a kernel that does not print it. Nothing in earlier labs
// changes.

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildForTests } from '../grade.ts';
import { findLab, LabError, listLabs, REPO_ROOT, type Lab } from '../course/labs.ts';
import { defineTest } from '../api/spec.ts';
import { runTest } from '../run/run-test.ts';

export interface NewLab {
  lab: Lab;
  banner: string;
  /** The kernel file the mutant edits, course-relative; undefined when the banner is not a literal in one file. */
  mutated?: string;
  files: string[];
}

const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const PUBLIC_POINTS = 6;
const HIDDEN_POINTS = 4;

export async function createLab(courseRoot: string, n: number, slug: string, title: string): Promise<NewLab> {
  const root = path.resolve(courseRoot);
  if (!SLUG.test(slug)) throw new LabError(`the lab's name '${slug}' must be lower-case words joined by dashes, such as page-tables`);
  if (title.trim() === '') throw new LabError('give the lab a title: --title "..."');
  const labs = listLabs(root);
  if (labs.some((l) => l.manifest.number === n)) throw new LabError(`lab ${n} exists already (${labs.find((l) => l.manifest.number === n)!.dir})`);
  const latest = labs.filter((l) => l.manifest.number < n).at(-1);
  if (latest === undefined) throw new LabError(`lab ${n} would be the first: lab new grows a course from its latest lab; write labs/01-*/lab.json by hand first (see labs/README.md)`);
  const folder = `${String(n).padStart(2, '0')}-${slug}`;
  const dir = path.join(root, folder);
  if (existsSync(dir)) throw new LabError(`${dir} exists already; pick another name or remove it`);

  // The new lab builds what the latest one builds, with no programs of its own yet.
  const base = JSON.parse(await readFile(latest.manifestFile, 'utf8')) as Record<string, unknown>;
  // The starter is the whole kernel so far (the lab has no regions yet), so it keeps the public tests' points.
  const manifest = { ...base, title, points: PUBLIC_POINTS + HIDDEN_POINTS, programs: {}, starterScore: PUBLIC_POINTS };
  await mkdir(dir);
  const manifestFile = path.join(dir, 'lab.json');
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    const lab = findLab(root, n);
    const banner = await firstLine(root, lab);
    const mutated = await kernelFileSaying(lab, banner);
    const files = [manifestFile, ...(await writeLabFiles(lab, slug, title, banner, mutated))];
    return { lab, banner, ...(mutated !== undefined ? { mutated } : {}), files };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The first line the reference kernel prints when booted with nothing: what the new tests look for. */
async function firstLine(root: string, lab: Lab): Promise<string> {
  const built = await buildForTests(root, lab);
  if (!built.ok) throw new LabError(`the course's kernel does not build for lab ${lab.manifest.number}, so lab new cannot see what it prints:\n${built.log}`);
  const probe = defineTest({ name: 'boot', points: 0, checks: [{ name: 'boots', evaluate: () => ({ passed: true }) }] });
  const result = runTest(probe, built.inputs);
  const line = result.serial.split('\n').map((l) => l.replace(/\r$/, '')).find((l) => l.trim().length >= 4);
  if (line === undefined) throw new LabError(`the course's kernel prints nothing when booted with no modules (it ended: ${result.run.message}); lab new writes tests about its first line of output`);
  return line;
}

/** The one kernel source that has `text` inside a string literal exactly once, course-relative. */
async function kernelFileSaying(lab: Lab, text: string): Promise<string | undefined> {
  const found: string[] = [];
  for (const name of (await readdir(lab.kernelDir)).sort()) {
    if (!/\.(c|S)$/.test(name)) continue;
    const source = await readFile(path.join(lab.kernelDir, name), 'utf8');
    if (source.split(`"${text}`).length === 2) found.push(`kernel/${name}`);
  }
  return found.length === 1 ? found[0] : undefined;
}

async function writeLabFiles(lab: Lab, slug: string, title: string, banner: string, mutated: string | undefined): Promise<string[]> {
  const dir = lab.dir;
  const api = (from: string) => path.relative(from, path.join(REPO_ROOT, 'grader', 'api')).split(path.sep).join('/');
  const files: string[] = [];
  const write = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
    files.push(path.join(dir, rel));
  };
  const quoted = JSON.stringify(banner).replace(/^"|"$/g, '').replace(/'/g, "\\'");
  await write(`tests/${slug}.ts`, `// Lab ${lab.manifest.number}'s public tests. Start from what the kernel already
// does (it prints '${quoted}' at boot) and add what this lab asks of it; the
// check catalogue is grader/api/checks.ts, the manual labs/README.md.
import { noTripleFault, serialContains } from '${api(path.join(dir, 'tests'))}/checks.ts';
import { defineTest } from '${api(path.join(dir, 'tests'))}/spec.ts';

export default defineTest({
  name: 'boots and prints its banner',
  points: ${PUBLIC_POINTS},
  checks: [serialContains('${quoted}\\n'), noTripleFault()],
});
`);
  await write(`hidden/${slug}.ts`, `// Lab ${lab.manifest.number}'s hidden tests: graded with --hidden, never in a student's repository.
import { noTripleFault, serialContains } from '${api(path.join(dir, 'hidden'))}/checks.ts';
import { defineTest } from '${api(path.join(dir, 'hidden'))}/spec.ts';

export default defineTest({
  name: 'boots with 64 MiB of RAM too',
  points: ${HIDDEN_POINTS},
  ramMiB: 64,
  checks: [serialContains('${quoted}\\n'), noTripleFault()],
});
`);
  if (mutated !== undefined) {
    const id = (file: string, name: string) => `${file}/${name}`;
    await write('mutants/no-banner.json', `${JSON.stringify({
      description: 'the kernel no longer prints its banner at boot: every test that looks for it must lose its points',
      mustFail: [id(slug, 'boots and prints its banner'), id(`hidden/${slug}`, 'boots with 64 MiB of RAM too')],
      edits: [{ file: mutated, find: `"${banner}`, replace: '"' }],
    }, null, 2)}\n`);
  }
  await write('handout.md', `# Lab ${lab.manifest.number}: ${title}

What students build in this lab, and why, in the course's own words.

## What to do

1. ...

## How it is graded

\`npx lab grade ${lab.manifest.number}\` runs the public tests in \`labs/${path.basename(dir)}/tests/\`;
the course also grades hidden tests.
`);
  return files;
}
