// Who supplies what when a course grades a student. A student's repository is
// theirs to change, grader included: hidden tests handed to it are the
// student's to read. So grading with hidden tests happens in the instructor's
// copy of ringlab, with the instructor's course, and takes from the student
// only the files the lab lets them change (`--submission DIR`). This module
// finds those files and refuses the set-ups that would hand a student the
// hidden tests or the grader's host.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_STUDENT_FILES, type Submission } from '../toolchain/build-inputs.ts';
import { LabError, REPO_ROOT } from './labs.ts';
import type { LabManifest } from '../model.ts';

/** The package.json field `lab release` writes: which lab a student's repository was released for. */
export const RELEASE_FIELD = 'ringlabRelease';

/** The lab a repository was released for, when `dir` is (the root of) a student's repository; undefined otherwise. */
export function releasedLab(dir: string): number | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const field = pkg[RELEASE_FIELD] as { lab?: unknown } | undefined;
    return typeof field?.lab === 'number' ? field.lab : undefined;
  } catch {
    return undefined;
  }
}

/** The student's files of `dir`: a student's repository (with labs/kernel/) or its course folder (with kernel/). */
export function findSubmission(dir: string, lab: LabManifest): Submission {
  const root = path.resolve(dir);
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  if (!isDir(root)) throw new LabError(`--submission ${root}: no such directory`);
  const course = isDir(path.join(root, 'labs', 'kernel')) ? path.join(root, 'labs') : isDir(path.join(root, 'kernel')) ? root : undefined;
  if (course === undefined) {
    throw new LabError(`--submission ${root}: has neither labs/kernel/ nor kernel/; give the student's repository or its labs/ folder`);
  }
  return { root: course, studentFiles: lab.studentFiles ?? DEFAULT_STUDENT_FILES };
}

/**
 * Refuses to put hidden tests where a student controls the code that reads
 * them: in a grader running from a student's repository, or with a student's
 * course (whose tests and manifests are code and budgets the student wrote).
 */
export function refuseStudentControlledHidden(courseRoot: string, lab: number): void {
  const tool = releasedLab(REPO_ROOT);
  if (tool !== undefined) {
    throw new LabError(
      `hidden tests refused: this grader is a student's repository (released for lab ${tool}), so its code, and anything it is given, is the student's to read; ` +
        `grade from the instructor's ringlab instead: lab grade ${lab} --submission DIR --hidden DIR (README: "Grading students")`,
    );
  }
  refuseStudentCourse(courseRoot, lab);
}

/**
 * Refuses a student's course as --course in the instructor's grader: its test
 * specs would run in the grader, and its manifests and linker scripts would
 * decide the build and the budgets. A submission is graded with --submission.
 */
export function refuseStudentCourse(courseRoot: string, lab: number): void {
  if (releasedLab(REPO_ROOT) !== undefined) return; // a student grading their own work with their own copy
  const owner = releasedLab(path.dirname(path.resolve(courseRoot))) ?? releasedLab(path.resolve(courseRoot));
  if (owner !== undefined) {
    throw new LabError(
      `--course ${courseRoot} is a student's repository (released for lab ${owner}): its tests and manifests are theirs to change; ` +
        `grade it against your course with --submission ${path.dirname(path.resolve(courseRoot))}`,
    );
  }
}
