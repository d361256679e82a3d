// Issue 20's "done when": a lab 7 written by following labs/README.md and
// nothing else. The steps are the manual's lifecycle, run on a copy of the
// course: lab new; the solution in a region of the kernel tree; tests, a
// hidden test, mutants and a program over the scaffold
// (test/fixtures/lab7-getppid); lab check-spec; lab validate, with
// --coverage; lab handout; lab release, whose starter must score its
// starterScore; and lab grade with the hidden tests.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/lab7-getppid', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab7-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const lab = (...args: string[]) => runLab(args, { cwd: scratch, timeoutMs: 600_000 });

interface Edit { file: string; find: string; replace: string }

describe('a lab 7 written from the manual', needs('gcc', 'bwrap'), () => {
  // The course beside the grader and the engine, as in this repository: its specs import them as ../../../grader.
  const course = join(scratch, 'labs');
  cpSync(join(REPO, 'labs'), course, { recursive: true });
  for (const dir of ['grader', 'engine']) symlinkSync(join(REPO, dir), join(scratch, dir));
  const folder = join(course, '07-getppid');

  it('is started with lab new, written in regions and files, checked, validated, released and graded', () => {
    // 1. Start the lab.
    const made = lab('new', '7', 'getppid', '--title', 'getppid: the parent of a process', '--course', course);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);

    // 2. The solution, in a region of the kernel tree.
    for (const e of JSON.parse(readFileSync(join(FIXTURE, 'kernel-edits.json'), 'utf8')) as Edit[]) {
      const file = join(course, e.file);
      const text = readFileSync(file, 'utf8');
      expect(text.split(e.find).length, `${e.file}: the text to replace, once`).toBe(2);
      writeFileSync(file, text.replace(e.find, e.replace));
    }
    // 3-4. Tests, a hidden test, mutants, a program and the handout, in place of the scaffold's.
    // The specs import the grader as the scaffold's do: lab new wrote the path from this course to it.
    const scaffold = readFileSync(join(folder, 'tests', 'getppid.ts'), 'utf8');
    const grader = /from '(.*\/)grader\/api\/spec\.ts'/.exec(scaffold)?.[1];
    expect(grader, "the scaffold's import of the spec API").toBeDefined();
    for (const dir of ['tests', 'hidden', 'mutants']) rmSync(join(folder, dir), { recursive: true, force: true });
    cpSync(join(FIXTURE, '07-getppid'), folder, { recursive: true });
    for (const spec of ['tests/getppid.ts', 'hidden/orphans.ts']) {
      const file = join(folder, spec);
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll("from '../../../../../grader/", `from '${grader}grader/`));
    }
    const manifest = JSON.parse(readFileSync(join(folder, 'lab.json'), 'utf8'));
    const lab6 = JSON.parse(readFileSync(join(course, '06-syscall-cost', 'lab.json'), 'utf8'));
    const programLib = (lab6.programs.abi.sources as string[]).slice(1).map((s) => s.replace(/^programs\//, '../06-syscall-cost/programs/'));
    writeFileSync(join(folder, 'lab.json'), JSON.stringify({
      ...manifest, points: 10, starterScore: 0,
      programs: { ppid: { sources: ['programs/ppid/ppid.c', ...programLib], linkerScript: '../06-syscall-cost/programs/program.ld' } },
    }, null, 2));

    const checked = lab('check-spec', '7', '--course', course);
    expect(checked.stderr).toBe('');
    expect(checked.status).toBe(0);

    // 5. Validate, with coverage: the one region is noticed by a test.
    const validated = lab('validate', '7', '--course', course, '--hidden', join(folder, 'hidden'), '--coverage');
    expect(validated.stdout).toContain('validate: lab 7 is sound: the reference scores full marks and 2 of 2 mutants are caught');
    expect(validated.stdout).toMatch(/kernel\/syscall\.c:\d+ +\d+ tests?: getppid\//);
    expect(validated.status).toBe(0);

    // 6. The handout as students read it.
    const handout = lab('handout', '7', '--course', course, '--out', join(scratch, 'handout.html'));
    expect(handout.status).toBe(0);
    expect(readFileSync(join(scratch, 'handout.html'), 'utf8')).toContain('getppid');

    // 7. Release: no hidden tests, no mutants, no solution; the starter scores 0.
    const out = join(scratch, 'release');
    const released = lab('release', '7', '--course', course, '--out', out);
    expect(released.stderr).toBe('');
    expect(released.stdout).toContain("check: the starter builds and scores 0/6, as lab.json's starterScore expects");
    expect(released.status).toBe(0);
    expect(readdirSync(join(out, 'labs', '07-getppid')).sort()).toEqual(['handout.html', 'handout.md', 'lab.json', 'programs', 'tests']);
    const syscalls = readFileSync(join(out, 'labs', 'kernel', 'syscall.c'), 'utf8');
    expect(syscalls).toContain('/* STUDENT lab7: SYS_getppid');
    expect(syscalls).not.toContain('curproc->parent->pid');
    expect(existsSync(join(out, 'labs', '07-getppid', 'mutants'))).toBe(false);

    // 8. Grade with the hidden tests: full marks for the reference.
    const graded = lab('grade', '7', '--course', course, '--hidden', join(folder, 'hidden'), '--reveal');
    expect(graded.stdout).toMatch(/\nScore: 10\/10 {2}\(2 of 2 tests passed\)\n/);
    expect(graded.status).toBe(0);

    // The labs before it are as they were.
    expect(lab('validate', '6', '--course', course, '--hidden', join(course, '06-syscall-cost', 'hidden')).status).toBe(0);
  }, 900_000);
});
