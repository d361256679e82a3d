// The gradebook of a batch: one CSV row per student, one column per test,
// in a form a spreadsheet or an LMS import reads. Everything in it is decided
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

export interface GradebookRow {
  student: string;
  status: SubmissionStatus;
  /** null for a grader error: there is no score to record. */
  score: number | null;
  maxScore: number;
  /** Points per test id; a test with no entry is written as an empty cell. */
  points: ReadonlyMap<string, number>;
  /** One line: why a submission has no graded score, or what stopped it. */
  detail: string;
}

export const GRADEBOOK_FILE = 'gradebook.csv';

/** The gradebook's text: a header naming each test with its points, then rows by student id. */
export function formatGradebook(columns: readonly GradebookColumn[], rows: readonly GradebookRow[]): string {
  const header = ['student', 'status', 'score', 'max_score', ...columns.map((c) => `${c.id} (${c.maxScore})`), 'detail'];
  const lines = [header.map(cell).join(',')];
  for (const row of [...rows].sort((a, b) => byteOrder(a.student, b.student))) {
    const points = columns.map((c) => {
      const p = row.points.get(c.id);
      return p === undefined ? '' : String(roundPoints(p));
    });
    const score = row.score === null ? '' : String(roundPoints(row.score));
    lines.push([row.student, row.status, score, String(roundPoints(row.maxScore)), ...points, oneLine(row.detail)].map(cell).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/**
 * Joins the gradebooks of a course's shards into the one a single run
 * writes. They must come from the same tests (the same header) and grade
 * each student once.
 */
export function mergeGradebooks(books: readonly { name: string; text: string }[]): string {
  let header: string | undefined;
  const rows = new Map<string, { line: string; from: string }>();
  for (const book of books) {
    const lines = book.text.split('\r\n');
    if (lines.at(-1) === '') lines.pop();
    const [first, ...body] = lines;
    if (first === undefined || !first.startsWith('student,status,')) {
      throw new LabError(`${book.name}: not a gradebook written by lab grade-all (its first line should name the columns student,status,...)`);
    }
    if (header === undefined) header = first;
    else if (first !== header) {
      throw new LabError(`${book.name}: its tests differ from the first gradebook's; merge only shards graded with the same course and hidden tests`);
    }
    for (const line of body) {
      const student = firstCell(line);
      const seen = rows.get(student);
      if (seen !== undefined) throw new LabError(`student ${student} is graded both in ${seen.from} and in ${book.name}; merge each shard once`);
      rows.set(student, { line, from: book.name });
    }
  }
  if (header === undefined) throw new LabError('no gradebooks to merge');
  const sorted = [...rows.entries()].sort(([a], [b]) => byteOrder(a, b)).map(([, r]) => r.line);
  return [header, ...sorted].join('\r\n') + '\r\n';
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

/** The first cell of a row that `cell` wrote, as it was before quoting. */
function firstCell(line: string): string {
  let text: string;
  if (line.startsWith('"')) {
    let i = 1;
    let out = '';
    while (i < line.length) {
      const ch = line.charAt(i);
      if (ch === '"' && line.charAt(i + 1) === '"') { out += '"'; i += 2; continue; }
      if (ch === '"') break;
      out += ch;
      i++;
    }
    text = out;
  } else {
    const comma = line.indexOf(',');
    text = comma < 0 ? line : line.slice(0, comma);
  }
  return /^'[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** Details come from compilers and kernels: one line, no control characters, bounded. */
function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  const clean = first.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}
