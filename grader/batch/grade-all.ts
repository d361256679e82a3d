// `lab grade-all`: grades every submission of a course with the instructor's
// course and hidden tests, one after another, each exactly as `lab grade N
// --submission DIR` grades it (only the files the lab lets students change
// are taken from it). A submission that does not build, is refused, or breaks
// the grader gets its row and its reason; it never stops the batch. What the
// batch writes: the gradebook, and each student's reports as they may see
// them (hidden tests by name and score only).

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gradeLab } from '../grade.ts';
import { LabError, type Lab } from '../course/labs.ts';
import { redact } from '../course/hidden.ts';
import { findSubmission } from '../course/submission.ts';
import type { CompilerName } from '../toolchain/build.ts';
import type { GradeReport } from '../model.ts';
import { listTests, type SpecFile } from '../run/runner.ts';
import { couldNotGrade } from '../scoring/score.ts';
import { writeReports } from '../report/write-reports.ts';
import { formatGradebook, GRADEBOOK_FILE, type GradebookColumn, type GradebookRow } from './gradebook.ts';
import { listSubmissions, shardOf, type FoundSubmission, type Shard } from './submissions.ts';

export interface BatchSetup {
  courseRoot: string;
  lab: Lab;
  specFiles: SpecFile[];
  submissionsDir: string;
  outDir: string;
  cc?: CompilerName;
  jobs?: number;
  shard?: Shard;
  /** Called after each submission, for the terminal's progress line. */
  progress?: (done: number, total: number, row: GradebookRow) => void;
}

export interface BatchOutcome {
  rows: GradebookRow[];
  columns: GradebookColumn[];
  skipped: { name: string; why: string }[];
  gradebook: string;
}

/** The folder under the output directory holding one student's reports. */
export const STUDENTS_DIR = 'students';

export async function gradeAll(setup: BatchSetup): Promise<BatchOutcome> {
  const listed = listSubmissions(setup.submissionsDir);
  const mine = setup.shard ? shardOf(listed.found, setup.shard) : listed.found;
  // A test that cannot load would grade every student against a smaller maximum: stop before anyone is graded.
  const { tasks, broken } = await listTests(setup.specFiles);
  if (broken.length > 0) {
    throw new LabError(`cannot grade: ${broken.map((t) => `${t.id}: ${t.reason}`).join('; ')}`);
  }
  const columns = tasks.map((t) => ({ id: t.id, maxScore: t.spec.points }));
  const maxScore = columns.reduce((sum, c) => sum + c.maxScore, 0);

  const rows: GradebookRow[] = [];
  for (const submission of mine) {
    const row = await gradeOne(setup, submission, maxScore);
    rows.push(row);
    setup.progress?.(rows.length, mine.length, row);
  }
  const gradebook = formatGradebook(columns, rows);
  await mkdir(setup.outDir, { recursive: true });
  await writeFile(path.join(setup.outDir, GRADEBOOK_FILE), gradebook);
  return { rows, columns, skipped: listed.skipped, gradebook };
}

async function gradeOne(setup: BatchSetup, found: FoundSubmission, maxScore: number): Promise<GradebookRow> {
  const none = { student: found.id, score: 0, maxScore, points: new Map<string, number>() };
  let submission;
  try {
    submission = findSubmission(found.dir, setup.lab.manifest);
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    return { ...none, status: 'no-submission', detail: `${found.id} has neither labs/kernel/ nor kernel/` };
  }
  let report: GradeReport;
  try {
    report = await gradeLab(setup.courseRoot, setup.lab, setup.specFiles, {
      submission, revealed: true,
      ...(setup.cc ? { cc: setup.cc } : {}), ...(setup.jobs ? { jobs: setup.jobs } : {}),
    });
  } catch (e) {
    // One submission's trouble, even a bug of ours, is that submission's row; the batch goes on.
    const message = e instanceof Error ? e.message : String(e);
    return { ...none, score: null, status: 'grader-error', detail: message };
  }
  await writeReports(redact(report, { reveal: false }), path.join(setup.outDir, STUDENTS_DIR, found.id));
  const points = new Map(report.tests.map((t) => [t.id, t.score]));
  if (report.fatal !== undefined || (couldNotGrade(report) && report.buildLog === undefined)) {
    return { ...none, points, score: null, status: 'grader-error', detail: report.fatal ?? firstGraderError(report) };
  }
  if (report.buildLog !== undefined) {
    return { ...none, points, status: 'build-error', detail: report.buildLog };
  }
  return { ...none, points, score: report.score, status: 'graded', detail: '' };
}

function firstGraderError(report: GradeReport): string {
  const t = report.tests.find((r) => r.run.end === 'grader-error');
  return t === undefined ? 'grading could not run' : `${t.id}: ${t.reason}`;
}
