// A spec file that cannot be loaded (a hidden one, say) is the grader's
// error: grading could not run (exit 2, `fatal` in the report), and no output
// gives a score. It used to count as a test worth 0 points, so the maximum
// shrank and every student's percentage rose instead of the grade stopping.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { redact } from '../../grader/course/hidden.ts';
import type { GradeReport } from '../../grader/model.ts';
import { toGradescope } from '../../grader/report/gradescope.ts';
import { toJUnit } from '../../grader/report/junit.ts';
import { formatTerminal } from '../../grader/report/terminal.ts';
import { reportView } from '../../grader/report/html.ts';
import { runTests } from '../../grader/run/runner.ts';
import { assembleReport, processExitCode } from '../../grader/scoring/score.ts';
import { behaveKernel, FIXTURE_DIR } from '../fixtures/grader/build-fixtures.ts';

const LAB = { number: 3, slug: '03-usermode', title: 'User mode' };
const SECRET = 'HIDDEN-SYNTAX-ERROR-4711';

describe('a hidden spec file that cannot be loaded', () => {
  let report: GradeReport;
  beforeAll(async () => {
    const hidden = mkdtempSync(path.join(os.tmpdir(), 'ringlab-broken-hidden-'));
    // A syntax error whose message would quote the hidden file.
    writeFileSync(path.join(hidden, 'secret.ts'), `export default [ ${SECRET} ${SECRET} ];\n`);
    const inputs = { kernel: await behaveKernel('GOOD'), programs: { init: new Uint8Array(16) }, defaults: { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 } };
    const files = [{ specFile: path.join(FIXTURE_DIR, 'specs', 'basic.ts'), hidden: false }, { specFile: path.join(hidden, 'secret.ts'), hidden: true }];
    report = assembleReport(await runTests(files, inputs, { jobs: 2 }), { lab: LAB });
  });

  it('stops the grade: grading could not run, exit status 2', () => {
    expect(report.fatal).toMatch(/^hidden\/secret: a grader error in a hidden test; no score is given until the grader is fixed$/);
    expect(processExitCode(report)).toBe(2);
  });

  it('gives no score in any output, and each says grading could not run', () => {
    const shown = redact(report, { reveal: false });
    const gradescope = toGradescope(shown);
    expect(gradescope.score).toBeUndefined();
    expect(gradescope.tests).toEqual([]);
    expect(gradescope.output).toContain('Grading could not run: hidden/secret');
    const junit = toJUnit(shown);
    expect(junit).not.toContain('name="score"');
    expect(junit).toContain('grading could not run: hidden/secret');
    expect(formatTerminal(shown, { color: false })).toContain('Score: none, grading could not run');
    expect(reportView(shown).fatal).toContain('hidden/secret');
  });

  it('quotes nothing of the hidden file unless revealed', () => {
    expect(JSON.stringify(redact(report, { reveal: false }))).not.toContain(SECRET);
    const revealed = assembleReport(report.tests, { lab: LAB, revealed: true });
    expect(revealed.fatal).toMatch(/^hidden\/secret: .*cannot load the test module/);
  });
});
