// `lab new` (issue 20): a lab scaffolded from the course's latest lab is
// accepted by `lab validate` at once, releases with its starter score, and
// adds nothing to the labs before it.

import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-new-lab-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  return runLab(args, { cwd: scratch, timeoutMs: 300_000 });
}

/**
 * A course of one lab, numbered past every solution region of the kernel
 * tree, so that its reference is the whole kernel: the course's kernel and
 * the kernel set-up of the course's latest lab (the one that builds all of
 * it), without that lab's programs.
 */
function course(): string {
  const root = join(scratch, 'course');
  cpSync(join(REPO, 'labs', 'kernel'), join(root, 'kernel'), { recursive: true });
  const latest = readdirSync(join(REPO, 'labs')).filter((d) => /^\d{2}-/.test(d)).sort().at(-1)!;
  const manifest = JSON.parse(readFileSync(join(REPO, 'labs', latest, 'lab.json'), 'utf8')) as Record<string, unknown>;
  mkdirSync(join(root, '08-base'));
  writeFileSync(join(root, '08-base', 'lab.json'), JSON.stringify({ ...manifest, title: 'Everything so far', points: 0, programs: {}, starterScore: 0 }));
  return root;
}

describe('lab new', needs('gcc', 'bwrap'), () => {
  const root = course();

  it('writes a lab that validates, grades, releases with its starter score, and leaves the labs before it alone', () => {
    const before = readFileSync(join(root, '08-base', 'lab.json'), 'utf8');
    const made = lab('new', '9', 'demo', '--title', 'A demo lab', '--course', root);
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/^lab 9: .*09-demo, its tests looking for the kernel's first line, 'ringlab kernel: booting'\n/);
    expect(readdirSync(join(root, '09-demo')).sort()).toEqual(['handout.md', 'hidden', 'lab.json', 'mutants', 'tests']);
    expect(readFileSync(join(root, '08-base', 'lab.json'), 'utf8')).toBe(before);

    const validated = lab('validate', '9', '--course', root);
    expect(validated.stdout).toContain('validate: lab 9 is sound: the reference scores full marks and 1 of 1 mutants are caught');
    expect(validated.status).toBe(0);

    const graded = lab('grade', '9', '--course', root, '--hidden', join(root, '09-demo', 'hidden'), '--reveal');
    expect(graded.stdout).toMatch(/\nScore: 10\/10 {2}\(2 of 2 tests passed\)\n/);
    expect(graded.status).toBe(0);

    const released = lab('release', '9', '--course', root, '--out', join(scratch, 'release'));
    expect(released.stdout).toContain("check: the starter builds and scores 6/6, as lab.json's starterScore expects\n");
    expect(released.status).toBe(0);
    expect(readdirSync(join(scratch, 'release', 'labs', '09-demo'))).not.toContain('hidden');
  });

  it('says in one line why it cannot', () => {
    expect(lab('new', '9', 'again', '--title', 'x', '--course', root).stderr).toMatch(/^lab: lab 9 exists already \(.*09-demo\)\n$/);
    expect(lab('new', '10', 'Bad_Name', '--title', 'x', '--course', root).stderr)
      .toBe("lab: the lab's name 'Bad_Name' must be lower-case words joined by dashes, such as page-tables\n");
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(lab('new', '1', 'first', '--title', 'x', '--course', empty).stderr).toMatch(/^lab: lab 1 would be the first: .*\n$/);
  });
});
