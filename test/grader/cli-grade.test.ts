// `lab grade` end to end on the fixture course: build, run the tests on worker
// threads, print the summary, write the reports, exit with the promised status.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { lab } from '../lab-cli.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'ringlab-grade-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('lab grade', needs('gcc', 'bwrap'), () => {
  it('gives a correct kernel full marks and exits 0', () => {
    const run = lab('grade', '1', '--course', COURSE, '--jobs', '2');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('PASS 6/6  prints its banner on COM1');
    expect(run.stdout).toContain('Score: 10/10');
  });

  it('grades a kernel that does not compile as 0 with the compiler messages, exits 2, and writes every report', () => {
    const dir = join(out, 'broken');
    const run = lab('grade', '2', '--course', COURSE, '--out', dir);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('BUILD FAILED');
    expect(run.stdout).toMatch(/broken\.c:3:10: error: 'undeclared_variable' undeclared/);
    expect(run.stdout).toContain('Score: 0/10');
    for (const f of ['report.html', 'results.json', 'junit.xml']) expect(existsSync(join(dir, f))).toBe(true);
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(results.score).toBe(0);
    expect(results.tests.map((t: { status: string }) => t.status)).toEqual(['failed', 'failed']);
  });

  it('stops with exit 2 and no score when a hidden spec cannot be loaded, built or not', () => {
    const hidden = join(out, 'broken-hidden');
    mkdirSync(hidden, { recursive: true });
    writeFileSync(join(hidden, 'secret.ts'), 'export default [ not valid typescript ];\n');
    for (const [n, name] of [['1', 'builds'], ['2', 'does-not-build']] as const) {
      const dir = join(out, `broken-hidden-${name}`);
      const run = lab('grade', n, '--course', COURSE, '--hidden', hidden, '--out', dir);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stdout).toContain('GRADING COULD NOT RUN');
      expect(run.stdout).toContain('Score: none, grading could not run');
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.score).toBeUndefined();
      expect(results.tests).toEqual([]);
      expect(results.output).toContain('Grading could not run: hidden/secret');
    }
  });

  it('fails every test of a kernel that builds but cannot boot, with the loader\'s reason', () => {
    const run = lab('grade', '3', '--course', COURSE);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/FAIL 0\/6 {2}prints its banner on COM1 - the kernel does not boot: .*no Multiboot header in the first 8 KiB/);
  });

  it('with --fail-under, exits by the percentage instead; a build error still exits 2', () => {
    expect(lab('grade', '3', '--course', COURSE, '--fail-under', '0').status).toBe(0);
    expect(lab('grade', '3', '--course', COURSE, '--fail-under', '50').status).toBe(1);
    expect(lab('grade', '2', '--course', COURSE, '--fail-under', '0').status).toBe(2);
  });

  it('grades a course outside the repository, with no package.json of its own', () => {
    const root = join(out, 'elsewhere');
    const course = join(root, 'course');
    mkdirSync(join(course, '01-x', 'tests'), { recursive: true });
    cpSync(join(COURSE, 'kernel'), join(course, 'kernel'), { recursive: true });
    cpSync(join(COURSE, '01-hello', 'lab.json'), join(course, '01-x', 'lab.json'));
    cpSync(join(COURSE, '01-hello', 'programs'), join(course, '01-x', 'programs'), { recursive: true });
    const grader = fileURLToPath(new URL('../../grader/api/', import.meta.url));
    writeFileSync(join(course, '01-x', 'tests', 'a.ts'),
      `import { defineTest } from '${grader}spec.ts';\nimport { serialContains } from '${grader}checks.ts';\n` +
      `export default defineTest({ name: 'banner', points: 1, checks: [serialContains('hello')] });\n`);
    const run = lab('grade', '1', '--course', course);
    expect(run.stdout).toMatch(/^PASS 1\/1 {2}banner$/m);
    expect(run.status).toBe(0);
  });

  it('refuses a lab the course does not have, with one line and status 2', () => {
    const run = lab('grade', '7', '--course', COURSE);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: [^\n]*7[^\n]*\n$/);
  });

  it('gives the same report twice (no timestamps, stable order)', () => {
    const a = join(out, 'a'), b = join(out, 'b');
    lab('grade', '1', '--course', COURSE, '--out', a);
    lab('grade', '1', '--course', COURSE, '--out', b, '--jobs', '1');
    for (const f of ['report.html', 'results.json', 'junit.xml']) {
      expect(readFileSync(join(a, f), 'utf8')).toBe(readFileSync(join(b, f), 'utf8'));
    }
  });
});
