// Hidden tests: found through --hidden or LAB_HIDDEN, graded like the others,
// and reduced to name, score and status in anything a student sees.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hiddenDir, HIDDEN_REASON, loadHiddenSpecs, redact } from '../../grader/course/hidden.ts';
import type { GradeReport } from '../../grader/model.ts';
import { runTests } from '../../grader/run/runner.ts';
import { assembleReport, processExitCode, totals } from '../../grader/scoring/score.ts';
import { behaveKernel, FIXTURE_DIR } from '../fixtures/grader/build-fixtures.ts';

const HIDDEN = path.join(FIXTURE_DIR, 'hidden');
const TOKEN = 'HIDDEN-TOKEN-5f2c9e';
const EXPECTATION = 'HIDDEN-EXPECTATION-77';
const LAB = { number: 3, slug: '03-usermode', title: 'User mode' };

describe('hidden test directory', () => {
  it('takes --hidden over LAB_HIDDEN, and neither means none', () => {
    expect(hiddenDir('/a', { LAB_HIDDEN: '/b' })).toBe('/a');
    expect(hiddenDir(undefined, { LAB_HIDDEN: '/b' })).toBe('/b');
    expect(hiddenDir(undefined, {})).toBeUndefined();
  });

  it('lists the spec files, marked hidden', async () => {
    expect(await loadHiddenSpecs(HIDDEN)).toEqual([{ specFile: path.join(HIDDEN, 'secret.ts'), hidden: true }]);
  });

  it('a missing directory is one line naming it and what to do', async () => {
    await expect(loadHiddenSpecs('/no/such/dir')).rejects.toThrow(/^hidden tests: \/no\/such\/dir does not exist; pass --hidden DIR or set LAB_HIDDEN/);
  });
});

describe('redaction', () => {
  let report: GradeReport;
  beforeAll(async () => {
    const inputs = { kernel: await behaveKernel('GOOD'), programs: { init: new Uint8Array(16) }, defaults: { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 } };
    const files = [{ specFile: path.join(FIXTURE_DIR, 'specs', 'basic.ts'), hidden: false }, ...(await loadHiddenSpecs(HIDDEN))];
    report = assembleReport(await runTests(files, inputs, { jobs: 2 }), { lab: LAB });
  });

  it('the unredacted report has the secret (so the next test means something)', () => {
    const hidden = report.tests.find((t) => t.hidden)!;
    expect(hidden.serial).toContain(TOKEN);
    expect(JSON.stringify(hidden)).toContain(EXPECTATION);
  });

  it('no byte of a hidden test\'s output or expectations survives', () => {
    const student = redact(report, { reveal: false });
    const text = JSON.stringify(student);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(EXPECTATION);
    const original = report.tests.find((t) => t.hidden)!;
    const hidden = student.tests.find((t) => t.hidden)!;
    expect(hidden).toEqual({
      id: original.id, name: 'knows the secret', visibility: 'visible', hidden: true, maxScore: 5, score: 0, status: 'failed',
      reason: HIDDEN_REASON, checks: [], run: { end: 'debug-exit', message: '', instructions: 0 },
      serial: '', screen: [], timeline: [], registers: {},
    });
    expect(student.revealed).toBe(false);
  });

  it('after_due_date tests are redacted too; visible ones keep their details', () => {
    const student = redact(report, { reveal: false });
    expect(student.tests.find((t) => t.name === 'after the due date')).toMatchObject({ serial: '', score: 2, status: 'passed', reason: '' });
    expect(student.tests.find((t) => t.name === 'greets and exits')!.serial).toContain('hello, grader');
  });

  it('reveal keeps everything and says so', () => {
    const instructor = redact(report, { reveal: true });
    expect(instructor.revealed).toBe(true);
    expect(instructor.tests).toEqual(report.tests);
  });

  it('scores are totalled across public and hidden tests', () => {
    expect(totals(report.tests)).toEqual({ score: 2 + 10 + 4 + 5, maxScore: 10 + 5 + 6 + 2 + 5, passed: 3, failed: 2, errors: 0 });
    expect(report).toMatchObject({ score: 21, maxScore: 28 });
    expect(processExitCode(report)).toBe(1);
  });
});
