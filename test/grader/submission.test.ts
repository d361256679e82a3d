// Grading a student's work from the instructor's course (issue 11, items 3,
// 4 and 11): a submission supplies only the files the lab lets students
// change; its manifests, tests, linker scripts and budgets are never read, and
// a grader or course that a student controls is refused hidden tests.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabError, parseManifest } from '../../grader/course/labs.ts';
import { writeRelease } from '../../grader/authoring/release.ts';
import { needs } from '../host-tools.ts';
import { runLab, type LabCliOptions } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const COURSE = join(REPO, 'test', 'fixtures', 'course');

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-submission-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(args: string[], opts: Pick<LabCliOptions, 'cwd' | 'env' | 'cli'> = {}) {
  return runLab(args, { cwd: scratch, timeoutMs: 180_000, ...opts });
}

let n = 0;
/** A student's repository as `lab release` marks it, holding a copy of the fixture course under labs/. */
function studentRepo(): string {
  const repo = join(scratch, `student-${n++}`);
  cpSync(COURSE, join(repo, 'labs'), { recursive: true });
  writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'ringlab', ringlabRelease: { lab: 1 } }));
  return repo;
}

function score(stdout: string): string | undefined {
  return /^Score: (\S+)/m.exec(stdout)?.[1];
}

describe('lab grade --submission', needs('gcc', 'bwrap'), () => {
  it("grades the student's kernel with the course's tests", () => {
    const good = lab(['grade', '1', '--course', COURSE, '--submission', studentRepo()]);
    expect(good.stderr).toBe('');
    expect(score(good.stdout)).toBe('10/10');

    const repo = studentRepo();
    writeFileSync(join(repo, 'labs', 'kernel', 'kmain.c'), readFileSync(join(COURSE, 'kernel', 'kmain.c'), 'utf8').replace('hello from', 'goodbye from'));
    const wrong = lab(['grade', '1', '--course', COURSE, '--submission', repo]);
    expect(wrong.status).toBe(1);
    expect(score(wrong.stdout)).toBe('4/10');
  });

  it("reads nothing of the submission's own manifest, tests or linker script", () => {
    const repo = studentRepo();
    const pwned = join(scratch, `pwned-${n}`);
    const labDir = join(repo, 'labs', '01-hello');
    // A response file as a source ran a shell through gcc's -wrapper; a budget this large ran forever.
    writeFileSync(join(repo, 'labs', 'kernel', 'evil.rsp'), `-wrapper /bin/sh,-c,touch\\ ${pwned}\n`);
    const manifest = JSON.parse(readFileSync(join(labDir, 'lab.json'), 'utf8'));
    manifest.kernel.sources.push('@evil.rsp');
    manifest.maxInstructions = 9e15;
    writeFileSync(join(labDir, 'lab.json'), JSON.stringify(manifest));
    // A test of the student's own: imported, it would write a file and add points.
    writeFileSync(join(labDir, 'tests', 'extra.ts'), [
      "import { writeFileSync } from 'node:fs';",
      "import { defineTest } from '../../../../grader/api/spec.ts';",
      "import { noTripleFault } from '../../../../grader/api/checks.ts';",
      `writeFileSync(${JSON.stringify(pwned)}, 'ran');`,
      "export default defineTest({ name: 'free points', points: 500, checks: [noTripleFault()] });",
    ].join('\n'));
    // A linker script that would not link anything.
    writeFileSync(join(repo, 'labs', 'kernel', 'kernel.ld'), 'THIS IS NOT A LINKER SCRIPT\n');

    const run = lab(['grade', '1', '--course', COURSE, '--submission', repo]);
    expect(run.stderr).toBe('');
    expect(score(run.stdout)).toBe('10/10');
    expect(run.stdout).not.toContain('free points');
    expect(existsSync(pwned)).toBe(false);
  });

  it('a kernel tree that links to the reference is refused, not graded', () => {
    const repo = studentRepo();
    rmSync(join(repo, 'labs', 'kernel'), { recursive: true });
    symlinkSync(join(COURSE, 'kernel'), join(repo, 'labs', 'kernel'));
    const run = lab(['grade', '1', '--course', COURSE, '--submission', repo]);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(/kernel\/\S+: reached through a symbolic link in the submission/);
    expect(score(run.stdout)).toBe('0/10');
  });

  it('a folder that is no submission is one line', () => {
    const empty = join(scratch, `empty-${n++}`);
    mkdirSync(empty);
    const run = lab(['grade', '1', '--course', COURSE, '--submission', empty]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`lab: --submission ${empty}: has neither labs/kernel/ nor kernel/; give the student's repository or its labs/ folder\n`);
  });
});

describe("a student's course or grader is refused hidden tests", () => {
  it("--course naming a student's repository is refused, with or without hidden tests", () => {
    const repo = studentRepo();
    for (const extra of [[], ['--hidden', join(REPO, 'test', 'fixtures', 'grader', 'hidden')]]) {
      const run = lab(['grade', '1', '--course', join(repo, 'labs'), ...extra]);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^lab: (--course .* is a student's repository \(released for lab 1\)|hidden tests refused).*--submission/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  describe("in a student's released repository", () => {
    let release: string;
    beforeAll(async () => {
      release = join(scratch, 'release');
      await writeRelease(COURSE, 1, release);
      symlinkSync(join(REPO, 'node_modules'), join(release, 'node_modules'), 'dir');
    });

    it('LAB_HIDDEN or --hidden is refused before any hidden spec is read or compiled', () => {
      const hidden = join(scratch, `hidden-${n++}`);
      mkdirSync(hidden);
      writeFileSync(join(hidden, 'secret.ts'), "export default [];\n");
      const cli = join(release, 'grader', 'cli', 'lab.js');
      for (const how of [{ args: ['--hidden', hidden], env: {} }, { args: [], env: { LAB_HIDDEN: hidden } }]) {
        const run = lab(['grade', '1', ...how.args], { cwd: release, cli, env: how.env });
        expect(run.status).toBe(2);
        expect(run.stderr).toMatch(/^lab: hidden tests refused: this grader is a student's repository \(released for lab 1\).*lab grade 1 --submission DIR --hidden DIR/);
      }
      const compiled = existsSync(join(release, 'build')) ? readdirSync(join(release, 'build'), { recursive: true }).map(String) : [];
      expect(compiled.filter((f) => f.includes('secret'))).toEqual([]);
    });
  });
});

describe('manifests a compiler or a run cannot be fooled by', () => {
  const base = { title: 't', ramMiB: 32, maxInstructions: 1000, maxOutputBytes: 100, programs: {}, starterScore: 0 };
  it('refuses source names that gcc would read as an option or a response file', () => {
    for (const bad of ['@evil', '-wrapper', 'sub/@x.c', 'sub/-x.c']) {
      expect(() => parseManifest({ ...base, kernel: { sources: [bad], linkerScript: 'k.ld' } }, 'lab.json', 1, '01-x')).toThrow(
        /must not have a name starting with - or @/,
      );
    }
  });

  it('refuses a budget no test could need', () => {
    expect(() => parseManifest({ ...base, maxInstructions: 9e15, kernel: { sources: ['a.c'], linkerScript: 'k.ld' } }, 'lab.json', 1, '01-x')).toThrow(LabError);
  });
});

/** A copy of the fixture course that grades where it lies: its shared specs import the grader by absolute path. */
function courseCopy(): string {
  const root = join(scratch, `course-${n++}`);
  cpSync(COURSE, root, { recursive: true });
  const shared = join(root, 'shared', 'banner-tests.ts');
  writeFileSync(shared, readFileSync(shared, 'utf8').replaceAll("'../../../../grader/", `'${REPO}grader/`));
  return root;
}

describe('each spec file counts once', needs('gcc', 'bwrap'), () => {
  it('a link in tests/ to a hidden spec does not count it twice nor make it public', () => {
    const root = courseCopy();
    const hidden = join(scratch, `hidden-${n++}`);
    mkdirSync(hidden);
    cpSync(join(COURSE, '01-hello', 'tests', 'banner.ts'), join(hidden, 'extra.ts'));
    writeFileSync(join(hidden, 'extra.ts'), "export { default } from '" + join(COURSE, 'shared', 'banner-tests.ts') + "';\n");
    symlinkSync(join(hidden, 'extra.ts'), join(root, '01-hello', 'tests', 'extra.ts'));
    const manifest = JSON.parse(readFileSync(join(root, '01-hello', 'lab.json'), 'utf8'));
    manifest.points = 20;
    writeFileSync(join(root, '01-hello', 'lab.json'), JSON.stringify(manifest));
    const run = lab(['grade', '1', '--course', root, '--hidden', hidden]);
    expect(score(run.stdout)).toBe('20/20');
    expect(run.stdout).not.toMatch(/^PASS .* extra\//m);
  });

  it('tests adding up to more than the manifest\'s points cannot be graded', () => {
    const root = courseCopy();
    cpSync(join(root, '01-hello', 'tests', 'banner.ts'), join(root, '01-hello', 'tests', 'again.ts'));
    const run = lab(['grade', '1', '--course', root]);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("the tests add up to 20 points, more than lab.json's 10");
  });
});
