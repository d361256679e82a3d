// What a batch leaves in its output folder, written in one place for a whole
// run and for merged shards alike, so that the two cannot differ:
//   grades.json     the record (shards merge these)
//   gradebook.csv   one row per student, one column per test
//   summary.html    the instructor's page: score histogram, pass rates, common failures
//   students/ID/    each student's reports, as the student may see them (written while grading)

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatGradebook, formatGrades, GRADEBOOK_FILE, GRADES_FILE, type GradesRecord } from './gradebook.ts';
import { renderSummary } from './summary.ts';

export const STUDENTS_DIR = 'students';
export const SUMMARY_FILE = 'summary.html';

export async function writeBatchOutputs(outDir: string, record: GradesRecord): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, GRADES_FILE), formatGrades(record));
  await writeFile(path.join(outDir, GRADEBOOK_FILE), formatGradebook(record));
  await writeFile(path.join(outDir, SUMMARY_FILE), renderSummary(record));
}
