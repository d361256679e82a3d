// Totals and the GradeReport every output format is made from. Scores are
// rounded once, here, so that 1/3 + 1/3 + 1/3 reads the same in every report.

import type { GradeReport, TestResult } from '../model.ts';

/** Points rounded to 1e-4: fractional shares from partial credit, without float noise. */
export function roundPoints(p: number): number {
  return Math.round(p * 1e4) / 1e4;
}

export interface Totals {
  score: number;
  maxScore: number;
  passed: number;
  failed: number;
  errors: number;
}

export function totals(tests: readonly TestResult[]): Totals {
  const t: Totals = { score: 0, maxScore: 0, passed: 0, failed: 0, errors: 0 };
  for (const r of tests) {
    t.score += r.score;
    t.maxScore += r.maxScore;
    if (r.status === 'passed') t.passed++;
    else if (r.status === 'failed') t.failed++;
    else t.errors++;
  }
  t.score = roundPoints(t.score);
  t.maxScore = roundPoints(t.maxScore);
  return t;
}

/** Results in their stable order: by id, compared by code unit so no locale changes it. */
export function sortResults(tests: readonly TestResult[]): TestResult[] {
  return [...tests].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface ReportOptions {
  lab: { number: number; slug: string; title: string };
  /** Whether hidden details are meant to be shown (instructor mode); redact() uses it. */
  revealed?: boolean;
  buildLog?: string;
  fatal?: string;
}

export function assembleReport(tests: readonly TestResult[], opts: ReportOptions): GradeReport {
  const sorted = sortResults(tests);
  const t = totals(sorted);
  const fatal = opts.fatal ?? graderFailure(sorted, opts.revealed ?? false);
  return {
    lab: { ...opts.lab },
    score: t.score,
    maxScore: t.maxScore,
    tests: sorted,
    ...(fatal !== undefined ? { fatal } : {}),
    ...(opts.buildLog !== undefined ? { buildLog: opts.buildLog } : {}),
    revealed: opts.revealed ?? false,
  };
}

/**
 * Why grading could not run when the grader itself failed on some test: a
 * spec file that cannot be loaded (its tests, and their points, are unknown),
 * a check or worker that crashed, a bug inside the engine. Such a run has no
 * score: the total would leave out points the student never had a chance at,
 * or count against them points our bug took. A hidden test's reason can quote
 * what it looks for, so only its id is named unless the report is revealed.
 */
function graderFailure(tests: readonly TestResult[], revealed: boolean): string | undefined {
  const broken = tests.filter((t) => t.run.end === 'grader-error');
  const first = broken[0];
  if (first === undefined) return undefined;
  const why = first.hidden && !revealed ? 'a grader error in a hidden test' : first.reason;
  const more = broken.length > 1 ? ` (and ${broken.length - 1} more grader errors)` : '';
  return `${first.id}: ${why}${more}; no score is given until the grader is fixed`;
}

/** What `lab grade` exits with, as DESIGN.md promises: 0 all passed, 1 some test failed, 2 grading could not run. */
export function processExitCode(report: GradeReport): 0 | 1 | 2 {
  if (couldNotGrade(report)) return 2;
  return report.tests.every((t) => t.status === 'passed') ? 0 : 1;
}

/**
 * Grading could not run: nothing to grade (the build failed: its report still
 * gives every test 0 points with the compiler's words) or the grader itself
 * is misconfigured (a spec that cannot be loaded, a crashed check).
 */
export function couldNotGrade(report: GradeReport): boolean {
  return report.fatal !== undefined || report.buildLog !== undefined || report.tests.some((t) => t.run.end === 'grader-error');
}
