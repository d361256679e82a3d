// The instructor's page for a whole batch: how the scores fall, which tests
// the course passes and fails, and the failures most students share, drawn
// as inline SVG (no scripts, nothing fetched). Everything shown is computed
// here into a plain view; the template only lays it out, with {{ }} so that
// every student-controlled string (ids, diagnoses from their kernels' output)
// is escaped.

import { compileTemplate } from '../report/templates.ts';
import type { GradesRecord, StudentGrade, SubmissionStatus } from './gradebook.ts';
import { byteOrder } from './submissions.ts';
import { roundPoints } from '../scoring/score.ts';

const BINS = 10;
const CHART = { width: 600, height: 180, gap: 4, labelHeight: 20 };
const TOP_DIAGNOSES = 10;

interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  count: number;
  label: string;
  labelX: number;
}

interface TestRow {
  id: string;
  maxScore: number;
  passed: number;
  percent: number;
  /** The bar's width, in percent of the track. */
  width: number;
}

interface DiagnosisRow {
  headline: string;
  students: number;
  tests: string;
}

export interface SummaryView {
  lab: GradesRecord['lab'];
  submissions: number;
  statuses: { status: SubmissionStatus; count: number }[];
  graded: number;
  maxScore: number;
  mean: string;
  median: string;
  histogram: { bars: Bar[]; width: number; height: number; axisY: number };
  tests: TestRow[];
  diagnoses: DiagnosisRow[];
  students: { student: string; status: SubmissionStatus; score: string; report: string; detail: string }[];
}

export function summaryView(record: GradesRecord): SummaryView {
  const rows = [...record.rows].sort((a, b) => byteOrder(a.student, b.student));
  const maxScore = record.columns.reduce((sum, c) => sum + c.maxScore, 0);
  const scored = rows.filter((r) => r.score !== null).map((r) => r.score!);
  const statuses = (['graded', 'build-error', 'no-submission', 'grader-error'] as const)
    .map((status) => ({ status, count: rows.filter((r) => r.status === status).length }))
    .filter((s) => s.count > 0);
  const graded = rows.filter((r) => r.status === 'graded');
  return {
    lab: record.lab,
    submissions: rows.length,
    statuses,
    graded: graded.length,
    maxScore,
    mean: scored.length === 0 ? '–' : String(Math.round((scored.reduce((a, b) => a + b, 0) / scored.length) * 10) / 10), // a class mean to a tenth of a point
    median: scored.length === 0 ? '–' : String(roundPoints(median(scored))),
    histogram: histogram(scored, maxScore),
    tests: record.columns.map((c) => {
      const passed = graded.filter((r) => r.points[c.id] === c.maxScore).length;
      const percent = graded.length === 0 ? 0 : Math.round((passed / graded.length) * 100);
      return { id: c.id, maxScore: c.maxScore, passed, percent, width: percent };
    }),
    diagnoses: commonFailures(rows),
    students: rows.map((r) => ({
      student: r.student,
      status: r.status,
      score: r.score === null ? 'no score' : `${roundPoints(r.score)}/${roundPoints(r.maxScore)}`,
      // Submissions with no kernel tree have no report to open.
      report: r.status === 'no-submission' ? '' : `students/${encodeURIComponent(r.student)}/report.html`,
      detail: r.detail.split('\n', 1)[0] ?? '',
    })),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Scores in ten bins of 10% of the maximum each; a full score counts in the top bin. */
function histogram(scores: number[], maxScore: number): SummaryView['histogram'] {
  const counts = new Array<number>(BINS).fill(0);
  for (const s of scores) {
    const bin = maxScore === 0 ? BINS - 1 : Math.min(BINS - 1, Math.floor((s / maxScore) * BINS));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  const tallest = Math.max(1, ...counts);
  const slot = CHART.width / BINS;
  const bars = counts.map((count, i) => {
    const height = Math.round((count / tallest) * (CHART.height - CHART.labelHeight));
    return {
      x: Math.round(i * slot + CHART.gap / 2),
      y: CHART.height - height,
      width: Math.round(slot - CHART.gap),
      height,
      count,
      label: `${i * 10}–${i === BINS - 1 ? 100 : i * 10 + 9}%`,
      labelX: Math.round(i * slot + slot / 2),
    };
  });
  return { bars, width: CHART.width, height: CHART.height + CHART.labelHeight, axisY: CHART.height + 14 };
}

/**
 * The failures students share, most common first: a headline with its
 * numbers and addresses masked, so that the same mistake at different
 * addresses counts as one.
 */
function commonFailures(rows: readonly StudentGrade[]): DiagnosisRow[] {
  const byHeadline = new Map<string, { students: Set<string>; tests: Set<string> }>();
  for (const row of rows) {
    for (const f of row.failures) {
      const key = f.headline.replace(/0x[0-9a-f]+/gi, '0x…').replace(/\b\d+\b/g, 'N');
      const entry = byHeadline.get(key) ?? { students: new Set(), tests: new Set() };
      entry.students.add(row.student);
      entry.tests.add(f.test);
      byHeadline.set(key, entry);
    }
  }
  return [...byHeadline.entries()]
    .sort(([ka, a], [kb, b]) => b.students.size - a.students.size || byteOrder(ka, kb))
    .slice(0, TOP_DIAGNOSES)
    .map(([headline, e]) => ({ headline, students: e.students.size, tests: [...e.tests].sort(byteOrder).join(', ') }));
}

let render: ((view: SummaryView) => string) | undefined;

export function renderSummary(record: GradesRecord): string {
  render ??= compileTemplate<SummaryView>('summary.hbs');
  return render(summaryView(record));
}
