// `lab release`: the student's repository has the grader, the stripped
// kernel, only the labs up to N and nothing instructor-only, and it grades
// itself to the manifest's starter score.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRelease, writeRelease } from '../../grader/release.ts';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const COURSE = fileURLToPath(new URL('../fixtures/course-regions', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ringlab-release-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 120_000, env: { ...process.env, LAB_HIDDEN: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab release', () => {
  it('writes lab 1 with its solutions cut out and checks the starter score', () => {
    const out = join(work, 'lab1');
    const run = lab('release', '1', '--course', COURSE, '--out', out);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('check: the starter builds and scores 4/10');
    expect(run.status).toBe(0);

    const kmain = readFileSync(join(out, 'labs/kernel/kmain.c'), 'utf8');
    expect(kmain).toContain('/* STUDENT lab1: wait until the transmitter is empty, then write c to COM1 */');
    expect(kmain).toContain('// STUDENT lab2: compute the answer into a');
    expect(kmain).not.toContain('outb(COM1, (unsigned char)c);');
    expect(kmain).not.toContain('6 * 7');
    expect(kmain).not.toMatch(/SOLUTION/);
    expect(readFileSync(join(out, 'labs/kernel/boot.S'), 'utf8')).not.toContain('popfl');

    for (const gone of ['labs/01-serial/hidden', 'labs/01-serial/mutants', 'labs/01-serial/instructor-notes.md', 'labs/02-more', 'node_modules', 'build']) {
      expect(existsSync(join(out, gone)), gone).toBe(false);
    }
    for (const kept of ['grader/cli/lab.js', 'engine', 'templates/handout.hbs', 'package.json', 'package-lock.json', 'README.md', 'labs/01-serial/handout.html']) {
      expect(existsSync(join(out, kept)), kept).toBe(true);
    }
    // The spec now imports the released grader, wherever the course used to sit.
    expect(readFileSync(join(out, 'labs/01-serial/tests/banner.ts'), 'utf8')).toContain("from '../../../grader/spec.ts'");
  });

  it('keeps earlier labs\' solutions in a later lab\'s release', async () => {
    const out = join(work, 'lab2');
    const { lab: lab2 } = await writeRelease(COURSE, 2, out);
    const kmain = readFileSync(join(out, 'labs/kernel/kmain.c'), 'utf8');
    expect(kmain).toContain('outb(COM1, (unsigned char)c);');
    expect(kmain).not.toContain('STUDENT lab1');
    expect(kmain).toContain('// STUDENT lab2: compute the answer into a');
    expect(existsSync(join(out, 'labs/01-serial/tests/banner.ts'))).toBe(true);
    const check = await checkRelease(out, lab2);
    expect(check).toMatchObject({ ok: true, score: 2, maxScore: 5, expected: 2 });
  });

  it('reports a starter score that differs from the manifest', async () => {
    const out = join(work, 'leaky');
    const { lab: lab1 } = await writeRelease(COURSE, 1, out);
    // As if the solution had leaked into the release.
    const file = join(out, 'labs/kernel/kmain.c');
    const solved = readFileSync(join(COURSE, 'kernel/kmain.c'), 'utf8');
    writeFileSync(file, solved.replace(/\/\* (BEGIN|END) SOLUTION.*\*\/\n/g, ''));
    const check = await checkRelease(out, lab1);
    expect(check.ok).toBe(false);
    expect(check.problem).toMatch(/scores 10, not the manifest's starterScore 4/);
  });

  it('refuses an --out directory that is not empty, and leaves it alone', () => {
    const out = join(work, 'busy');
    rmSync(out, { recursive: true, force: true });
    lab('release', '1', '--course', COURSE, '--out', out, '--no-check');
    const run = lab('release', '1', '--course', COURSE, '--out', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: --out .* is not an empty directory[^\n]*\n$/);
    expect(existsSync(join(out, 'labs/kernel/kmain.c'))).toBe(true);
  });
});
