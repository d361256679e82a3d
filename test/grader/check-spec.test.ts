// `lab check-spec` (issue 20): each mistake it must catch, on a fixture lab
// that makes every one of them, and the course's own labs, which make none.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join('test', 'fixtures', 'check-spec');
const MISTAKES = join(FIXTURE, '01-mistakes');

function lab(...args: string[]) {
  return runLab(args, { cwd: REPO });
}

describe('lab check-spec', () => {
  it('names each mistake with its file and line, and fails', () => {
    const run = lab('check-spec', '1', '--course', FIXTURE);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toEqual([
      `${MISTAKES}/tests/mistakes.ts:8: error: test 'runs a program the lab does not build': module 'helo' is not a program of lab 1 (lab.json builds hello)`,
      `${MISTAKES}/tests/mistakes.ts:14: error: test 'checks nothing': check 'the kernel is correct' reads nothing of the run, so it can never fail`,
      `${MISTAKES}/tests/mistakes.ts:19: error: test 'matches the empty string': check 'serial output matches /(hello)?/' looks for /(hello)?/, which matches the empty string, so any output passes it`,
      `${MISTAKES}/tests/twice.ts: error: two tests are named 'prints hello'; names must be unique in a file`,
      `${MISTAKES}/lab.json: error: the lab's tests add up to 15 points, lab.json says 10; grading stops on this`,
      '3 spec files: 5 errors, 0 warnings',
      '',
    ]);
    expect(run.status).toBe(1);
  });

  it('takes spec files too, each read against its own lab', () => {
    const run = lab('check-spec', join(MISTAKES, 'hidden', 'extra.ts'), join(MISTAKES, 'tests', 'mistakes.ts'));
    expect(run.stdout).toMatch(/\n2 spec files: 3 errors, 0 warnings\n$/);
    expect(run.status).toBe(1);
    const nowhere = lab('check-spec', join(REPO, 'README.md'));
    expect(nowhere.stderr).toBe(`lab: ${join(REPO, 'README.md')}: not inside a lab folder (NN-slug/ with a lab.json); give the lab number instead: lab check-spec N\n`);
    expect(nowhere.status).toBe(2);
  });

  it.each([1, 2, 3])("finds nothing to say about lab %i's specs, hidden ones included", (n) => {
    const run = lab('check-spec', String(n));
    expect(run.stdout).toMatch(/^\d+ spec files: 0 errors, 0 warnings\n$/);
    expect(run.status).toBe(0);
  });
});
