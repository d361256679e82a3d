// Totals and the GradeReport every output format is made from. Scores are
// rounded once, here, so that 1/3 + 1/3 + 1/3 reads the same in every report.

import type { GradeReport, TestResult } from './model.ts';

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
  return {
    lab: { ...opts.lab },
    score: t.score,
    maxScore: t.maxScore,
    tests: sorted,
    ...(opts.fatal !== undefined ? { fatal: opts.fatal } : {}),
    ...(opts.buildLog !== undefined ? { buildLog: opts.buildLog } : {}),
    revealed: opts.revealed ?? false,
  };
}

/** The exit status DESIGN.md promises: 0 all passed, 1 some test failed, 2 grading could not run. */
export function exitStatus(report: GradeReport): 0 | 1 | 2 {
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
