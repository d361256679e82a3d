// The gradebook of a batch: one CSV row per student, one column per test,
// in a form a spreadsheet or an LMS import reads, made from the batch's
// record (grades.json), which shards merge. Everything in either is decided
// by what was graded, never by when or where: no times, rows in byte order of
// the student ids, so that the shards of a course merge into the very bytes a
// single run writes.

import { byteOrder } from './submissions.ts';
import { LabError } from '../course/labs.ts';
import { roundPoints } from '../scoring/score.ts';

/**
 * How grading a submission ended: `graded` (its tests ran; the score is
 * theirs), `build-error` (its kernel did not compile or was refused: zero),
 * `no-submission` (the folder holds no kernel tree: zero), `grader-error`
 * (ours or the course's fault: no score until an instructor looks).
 */
export type SubmissionStatus = 'graded' | 'build-error' | 'no-submission' | 'grader-error';

export interface GradebookColumn {
  id: string;
  maxScore: number;
}

/** One student's grading, as the batch records it: the gradebook row, and the failures the summary counts. */
export interface StudentGrade {
  student: string;
  status: SubmissionStatus;
  /** null for a grader error: there is no score to record. */
  score: number | null;
  maxScore: number;
  /** Points per test id; a test with no entry (nothing ran) is an empty cell. */
  points: Record<string, number>;
  /** One line: why a submission has no graded score, or what stopped it. */
  detail: string;
  /** Each failed test's headline (its diagnosis), hidden tests included: for the instructor's summary. */
  failures: { test: string; headline: string }[];
  /** For a graded submission: the hash of everything its grade depends on (grading-key.ts). */
  key?: string;
  /** For a submission cloned from a repository: the commit graded. */
  commit?: string;
}

/** What a batch (or one shard of it) graded: the source of the gradebook and the summary. */
export interface GradesRecord {
  lab: { number: number; slug: string; title: string };
  columns: GradebookColumn[];
  rows: StudentGrade[];
}

export const GRADEBOOK_FILE = 'gradebook.csv';
export const GRADES_FILE = 'grades.json';

/** The record as written: rows in byte order of student id, so that every run writes the same bytes. */
export function formatGrades(record: GradesRecord): string {
  const rows = [...record.rows].sort((a, b) => byteOrder(a.student, b.student));
  return `${JSON.stringify({ ...record, rows }, null, 1)}\n`;
}

/** The gradebook's text: a header naming each test with its points, then rows by student id. */
export function formatGradebook(record: GradesRecord): string {
  const { columns } = record;
  // Repositories graded at a commit: which commit, in a column of its own (folders and archives have none).
  const commits = record.rows.some((r) => r.commit !== undefined);
  const header = ['student', 'status', 'score', 'max_score', ...columns.map((c) => `${c.id} (${c.maxScore})`), 'detail', ...(commits ? ['commit'] : [])];
  const lines = [header.map(cell).join(',')];
  for (const row of [...record.rows].sort((a, b) => byteOrder(a.student, b.student))) {
    const points = columns.map((c) => {
      const p = row.points[c.id];
      return p === undefined ? '' : String(roundPoints(p));
    });
    const score = row.score === null ? '' : String(roundPoints(row.score));
    lines.push([row.student, row.status, score, String(roundPoints(row.maxScore)), ...points, oneLine(row.detail), ...(commits ? [row.commit ?? ''] : [])].map(cell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * Joins the records of a course's shards into the one a single run writes.
 * They must come from the same tests and grade each student once.
 */
export function mergeGrades(shards: readonly { name: string; text: string }[]): GradesRecord {
  let first: { name: string; record: GradesRecord } | undefined;
  const rows = new Map<string, { row: StudentGrade; from: string }>();
  for (const shard of shards) {
    const record = readGrades(shard.name, shard.text);
    if (first === undefined) first = { name: shard.name, record };
    else if (JSON.stringify([record.lab, record.columns]) !== JSON.stringify([first.record.lab, first.record.columns])) {
      throw new LabError(`${shard.name}: its lab or tests differ from ${first.name}'s; merge only shards graded with the same course and hidden tests`);
    }
    for (const row of record.rows) {
      const seen = rows.get(row.student);
      if (seen !== undefined) throw new LabError(`student ${row.student} is graded both in ${seen.from} and in ${shard.name}; merge each shard once`);
      rows.set(row.student, { row, from: shard.name });
    }
  }
  if (first === undefined) throw new LabError('no gradebooks to merge');
  return { ...first.record, rows: [...rows.values()].map((r) => r.row) };
}

/** The record in `text` (a grades.json), checked for shape; `name` is for messages. */
export function readGrades(name: string, text: string): GradesRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const record = value as Partial<GradesRecord> | undefined;
  if (typeof record !== 'object' || record === null || !Array.isArray(record.columns) || !Array.isArray(record.rows) || typeof record.lab !== 'object') {
    throw new LabError(`${name}: not a ${GRADES_FILE} written by lab grade-all`);
  }
  return record as GradesRecord;
}

/**
 * A CSV cell (RFC 4180): quoted when it holds a comma, quote or line break.
 * A cell a spreadsheet would run as a formula (a student folder named
 * "=HYPERLINK(...)") is written with a leading apostrophe, as spreadsheets
 * themselves mark text.
 */
function cell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Details come from compilers and kernels: one line, no control characters, bounded. */
function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  const clean = first.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

/** A student whose result differs between two records, as "60" / "no score" / "absent". */
export interface ScoreChange {
  student: string;
  before: string;
  after: string;
}

/** Students whose score or status differs between `before` and `after`, in byte order of their ids. */
export function scoreChanges(before: GradesRecord, after: GradesRecord): ScoreChange[] {
  const shown = (row: StudentGrade | undefined) =>
    row === undefined ? 'absent' : row.score === null ? `no score (${row.status})` : row.status === 'graded' ? String(roundPoints(row.score)) : `${roundPoints(row.score)} (${row.status})`;
  const old = new Map(before.rows.map((r) => [r.student, r]));
  const now = new Map(after.rows.map((r) => [r.student, r]));
  const changes: ScoreChange[] = [];
  for (const student of [...new Set([...old.keys(), ...now.keys()])].sort(byteOrder)) {
    const [b, a] = [shown(old.get(student)), shown(now.get(student))];
    if (b !== a) changes.push({ student, before: b, after: a });
  }
  return changes;
}
