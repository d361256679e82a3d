// Gradescope's autograder results.json (gradescope-autograders.readthedocs.io,
// "Autograder Specifications"). Only documented fields are written.

import type { GradeReport, TestResult, Visibility } from '../model.ts';
import { buildLogHead, formatPoints, testDetailsText, visibleText } from './terminal.ts';

/** One entry of results.json's "tests". */
export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  /** Gradescope knows only these two; our 'error' shows as failed. */
  status: 'passed' | 'failed';
  output: string;
  output_format: 'text';
  visibility: Visibility;
  tags: string[];
}

export interface GradescopeResults {
  /** Absent when grading could not run: Gradescope must not record a score from a broken run. */
  score?: number;
  execution_time?: number;
  output: string;
  output_format: 'text';
  test_output_format: 'text';
  visibility: Visibility;
  stdout_visibility: Visibility;
  tests: GradescopeTest[];
}

export interface GradescopeOptions {
  /**
   * Seconds the run took. Omitted unless given, so that the same report always
   * gives the same file; the CI wrapper that wants Gradescope to show a time
   * measures it and passes it here.
   */
  executionTime?: number;
  /** Who sees the whole result; 'visible' unless an instructor holds results back. */
  visibility?: Visibility;
  /** Who sees run_autograder's stdout; 'hidden' because the log may name hidden tests. */
  stdoutVisibility?: Visibility;
}

export function toGradescope(report: GradeReport, options: GradescopeOptions = {}): GradescopeResults {
  // When the grader itself failed (report.fatal), the file carries no score at
  // all, neither overall nor per test: a total that leaves out a spec that
  // could not load, or counts our bug against the student, must not reach the
  // gradebook. Only the output says what went wrong, for the course staff to fix and regrade.
  const graded = report.fatal === undefined;
  const results: GradescopeResults = {
    ...(graded ? { score: report.score } : {}),
    output: overallOutput(report),
    // Text, not markdown or HTML: outputs quote guest bytes, which must not be rendered as markup.
    output_format: 'text',
    test_output_format: 'text',
    visibility: options.visibility ?? 'visible',
    stdout_visibility: options.stdoutVisibility ?? 'hidden',
    tests: graded ? report.tests.map((test) => toGradescopeTest(report, test)) : [],
  };
  if (options.executionTime !== undefined) results.execution_time = options.executionTime;
  return results;
}

function toGradescopeTest(report: GradeReport, test: TestResult): GradescopeTest {
  return {
    name: visibleText(test.name),
    score: test.score,
    max_score: test.maxScore,
    status: test.status === 'passed' ? 'passed' : 'failed',
    output: testDetailsText(test),
    output_format: 'text',
    visibility: test.visibility,
    tags: [`lab${report.lab.number}`, ...(test.hidden ? ['hidden'] : []), ...(test.status === 'error' ? ['error'] : [])],
  };
}

/** The text above the tests: the score, or why there is none. */
function overallOutput(report: GradeReport): string {
  if (report.fatal) {
    return [`Lab ${report.lab.number} (${visibleText(report.lab.slug)}): no score`, '',
      `Grading could not run: ${visibleText(report.fatal)}`, '',
      'This is a fault of the grader, not of the submission: no score is recorded; the course staff will fix the grader and regrade.'].join('\n');
  }
  const lines = [`Lab ${report.lab.number} (${visibleText(report.lab.slug)}): ${formatPoints(report.score)}/${formatPoints(report.maxScore)}`];
  if (report.buildLog !== undefined) {
    const { shown, more } = buildLogHead(report.buildLog);
    lines.push('', 'Build failed: the kernel did not compile, so no test ran.', ...shown);
    if (more > 0) lines.push(`... ${more} more lines`);
  }
  return lines.join('\n');
}
