// Hidden tests: where they come from, and what of them a student may see.
// A hidden test's specs live outside the student's repository (--hidden DIR or
// LAB_HIDDEN); its results reach the student as a name, a score and a status.
// Everything the guest produced or that describes the test's expectations
// (serial output, check details, the timeline, the screen, registers, the
// run's message) is dropped, because any of it can carry the hidden test's
// program output or reveal what it looks for.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { GradeReport, TestResult } from '../model.ts';
import type { SpecFile } from '../run/test-list.ts';
import { messageOf } from '../messages.ts';

/** The environment variable naming the hidden-test directory when --hidden is not given. */
export const HIDDEN_ENV = 'LAB_HIDDEN';

export const HIDDEN_REASON = 'hidden test: details are not shown';

/** Thrown when the hidden directory cannot be read; one line naming it. */
export class HiddenDirError extends Error {
  override name = 'HiddenDirError';
}

/** The hidden-test directory: the --hidden option first, then LAB_HIDDEN; undefined when neither is set. */
export function hiddenDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = option ?? env[HIDDEN_ENV];
  return dir === undefined || dir === '' ? undefined : path.resolve(dir);
}

const SPEC_FILE = /\.(ts|mts|js|mjs)$/;

/** The spec files in a hidden-test directory (not recursive), in name order. */
export async function loadHiddenSpecs(dir: string): Promise<SpecFile[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : messageOf(e);
    throw new HiddenDirError(`hidden tests: ${dir} ${why}; pass --hidden DIR or set ${HIDDEN_ENV} to the directory of hidden test specs`);
  }
  return names
    .filter((n) => SPEC_FILE.test(n) && !n.endsWith('.d.ts'))
    .sort()
    .map((n) => ({ specFile: path.join(dir, n), hidden: true }));
}

/** Whether a student-visible report must leave out this test's details. */
export function isRedacted(t: TestResult): boolean {
  return t.hidden || t.visibility !== 'visible';
}

/** A test as a student may see it: name, score and status; nothing the guest wrote or the checks know. */
export function redactResult(t: TestResult): TestResult {
  return {
    id: t.id,
    name: t.name,
    visibility: t.visibility,
    hidden: t.hidden,
    maxScore: t.maxScore,
    score: t.score,
    status: t.status,
    reason: t.status === 'passed' ? '' : HIDDEN_REASON,
    checks: [],
    // The end category is kept (it says no more than the status does); the message can quote guest code.
    run: { end: t.run.end, message: '', instructions: 0 },
    serial: '',
    screen: [],
    timeline: [],
    registers: {},
  };
}

/**
 * The report as its reader may see it. With reveal (instructor mode) every
 * detail stays and the report says so; without, hidden, after_due_date and
 * after_published tests are reduced by redactResult.
 */
export function redact(report: GradeReport, opts: { reveal: boolean }): GradeReport {
  if (opts.reveal) return { ...report, revealed: true };
  return { ...report, tests: report.tests.map((t) => (isRedacted(t) ? redactResult(t) : t)), revealed: false };
}
