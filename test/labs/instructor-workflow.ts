// What an instructor relies on in every lab, asked the same way of each: the
// reference kernel earns full marks on the public and hidden tests, every
// mutant loses the points it must, and the released starter repository has
// no solutions left in it. A lab's test file adds what is its own.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { runLab } from '../lab-cli.ts';

export interface LabUnderTest {
  number: number;
  /** Its folder under labs/, e.g. "01-boot". */
  slug: string;
  /** The reference kernel's score on the public and hidden tests together. */
  fullScore: number;
  /** At least this many tests, public and hidden. */
  minTests: number;
  /** A file of labs/kernel/ with a solution region of this lab, which the release must replace. */
  solvedFile: string;
  /** At least this many of the tests are hidden. */
  minHidden?: number;
  /** At least this many mutants, all caught. */
  minMutants?: number;
  /** More the lab asks of its release: the repository's folder and what lab release printed. */
  release?: (out: string, stdout: string) => void;
}

/** The instructor's three checks of `under`, as tests of the enclosing describe. */
export function instructorWorkflow(under: LabUnderTest): void {
  const n = String(under.number);
  const hidden = fileURLToPath(new URL(`../../labs/${under.slug}/hidden`, import.meta.url));
  // Made by the first test that writes, so that a suite skipped for want of a tool leaves nothing behind.
  let scratch: string | undefined;
  const scratchPath = (name: string) => join((scratch ??= mkdtempSync(join(tmpdir(), `ringlab-lab${n}-`))), name);
  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });
  const lab = (...args: string[]) => runLab(args, { timeoutMs: 300_000 });

  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = scratchPath('grade');
    const run = lab('grade', n, '--hidden', hidden, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(under.fullScore);
    expect(results.tests.length).toBeGreaterThanOrEqual(under.minTests);
    const hiddenTests = results.tests.filter((t: { visibility: string }) => t.visibility === 'hidden').length;
    expect(hiddenTests).toBeGreaterThanOrEqual(under.minHidden ?? 0);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', n);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
    const caught = /(\d+) of (\d+) mutants are caught/.exec(run.stdout);
    expect(caught?.[1]).toBe(caught?.[2]);
    expect(Number(caught?.[2] ?? 0)).toBeGreaterThanOrEqual(under.minMutants ?? 0);
  });

  it('lab release: the student repository has no solutions and grades to the starter score', () => {
    const out = scratchPath('release');
    const run = lab('release', n, '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const source = readFileSync(join(out, 'labs/kernel', under.solvedFile), 'utf8');
    expect(source).not.toMatch(/BEGIN SOLUTION|BEFORE lab/);
    expect(source).toContain(`STUDENT lab${n}`);
    under.release?.(out, run.stdout);
  });
}
