// `lab grade N --test PATTERN` on the fixture course: only the matching tests
// run, the score's maximum counts only them, the summary says it is a
// selection; a pattern that matches nothing stops before building; hidden
// tests are selectable only when the instructor passes them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { lab } from '../lab-cli.ts';

const GRADER = fileURLToPath(new URL('../../grader/api/', import.meta.url));
const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'ringlab-select-'));
const hidden = join(tmp, 'hidden');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  mkdirSync(hidden);
  writeFileSync(join(hidden, 'extra.ts'),
    `import { defineTest } from '${GRADER}spec.ts';\nimport { serialContains } from '${GRADER}checks.ts';\n` +
    `export default defineTest({ name: 'prints its banner again', points: 0, visibility: 'hidden', checks: [serialContains('hello from the fixture kernel')] });\n`);
});

/** The summary's test lines: "PASS 6/6  name". */
function testLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => /^(PASS|FAIL|ERR )/.test(l));
}

describe('lab grade --test', () => {
  it('a pattern that matches nothing: one line with ids to choose from, exit 2, nothing built or graded', () => {
    const run = lab('grade', '1', '--course', COURSE, '--test', 'no such test');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("lab: --test 'no such test' matches no test (ids are file/name, e.g. banner/prints, banner/exits; 2 in all)\n");
  });

  it('a hidden test\'s id without --hidden: not found, with the reason', () => {
    const run = lab('grade', '1', '--course', COURSE, '--test', 'hidden/extra');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: --test 'hidden\/extra' matches no test .*; hidden tests are included only with --hidden DIR\n$/);
  });

  it('one pattern runs the one test it matches; the maximum is that test\'s, and the summary says it is a selection', { ...needs('gcc', 'bwrap'), timeout: 120_000 }, () => {
    const out = join(tmp, 'one');
    const run = lab('grade', '1', '--course', COURSE, '--test', 'BANNER/PRINTS', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(testLines(run.stdout)).toEqual(['PASS 6/6  prints its banner on COM1']);
    expect(run.stdout).toContain('Score: 6/6  (1 of 1 tests passed)');
    expect(run.stdout).toContain("A selection (--test BANNER/PRINTS): 1 of the lab's 2 tests ran, and the score counts only them.");
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { score: number; tests: { name: string; max_score: number }[] };
    expect(results.tests.map((t) => [t.name, t.max_score])).toEqual([['prints its banner on COM1', 6]]);
  });

  it('with --hidden, hidden tests are selectable too, and --test repeats', { ...needs('gcc', 'bwrap'), timeout: 120_000 }, () => {
    const run = lab('grade', '1', '--course', COURSE, '--hidden', hidden, '--test', 'exits', '--test', 'again');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(testLines(run.stdout)).toEqual(['PASS 4/4  exits through isa-debug-exit with code 0', 'PASS 0/0  prints its banner again']);
    expect(run.stdout).toContain("A selection (--test exits --test again): 2 of the lab's 3 tests ran");
  });

  it('without --test nothing is called a selection', { ...needs('gcc', 'bwrap'), timeout: 120_000 }, () => {
    const run = lab('grade', '1', '--course', COURSE);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Score: 10/10');
    expect(run.stdout).not.toContain('selection');
  });
});
