// `lab grade-all`: grades every submission of a course with the instructor's
// course and hidden tests, one after another, each exactly as `lab grade N
// --submission DIR` grades it (only the files the lab lets students change
// are taken from it). A submission that does not build, is refused, or breaks
// the grader gets its row and its reason; it never stops the batch. What the
// batch writes: the gradebook, and each student's reports as they may see
// them (hidden tests by name and score only).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { buildForTests, gradeBuilt } from '../grade.ts';
import { LabError, type Lab } from '../course/labs.ts';
import { redact } from '../course/hidden.ts';
import { findSubmission } from '../course/submission.ts';
import type { CompilerName } from '../toolchain/build.ts';
import type { GradeReport } from '../model.ts';
import { messageOf } from '../messages.ts';
import { listTests, type SpecFile } from '../run/test-list.ts';
import { couldNotGrade } from '../scoring/score.ts';
import { writeReports } from '../report/write-reports.ts';
import { ARCHIVE_LIMITS, ArchiveError, unpackArchive } from './archive.ts';
import { CloneError, cloneSubmission } from './git-clone.ts';
import type { GradesRecord, StudentGrade } from './gradebook.ts';
import { gradingKey, testsHash } from './grading-key.ts';
import { STUDENTS_DIR, writeBatchOutputs } from './outputs.ts';
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
  /** The hidden-test directory, for the grading key (its specs are among specFiles already). */
  hiddenDir?: string;
  /**
   * The previous record in outDir: rows whose grading key is unchanged are
   * kept as they are, reports included, and not graded again (`--regrade`).
   */
  previous?: GradesRecord;
  /** Called after each submission, for the terminal's progress line. */
  progress?: (done: number, total: number, row: StudentGrade) => void;
}

export interface BatchOutcome {
  record: GradesRecord;
  skipped: { name: string; why: string }[];
}

/**
 * Submissions in flight per core (at least two in all): one compiles in its
 * sandbox while another's tests run on this thread. On the 2-core machine,
 * 100 cold lab-3 submissions took 29.0 and 29.5 s with two in flight and
 * 36.6 and 26.8 s with four (test/bench/grade-all.bench.ts): no better, and
 * more memory, so one per core; a bigger machine grades more at once.
 */
const IN_FLIGHT_PER_CORE = 1;

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
  const tests = testsHash(setup.courseRoot, setup.hiddenDir);

  // Several submissions in flight: some compile (in their sandboxes) while another's tests run.
  const jobs = setup.jobs ?? availableParallelism();
  const inFlight = Math.max(2, IN_FLIGHT_PER_CORE * jobs);
  const perSubmission = { ...setup, jobs: Math.max(1, Math.floor(jobs / inFlight)) };
  const rows: StudentGrade[] = [];
  let next = 0;
  const lane = async () => {
    while (next < mine.length) {
      const submission = mine[next++]!;
      const row = await gradeOne(perSubmission, submission, { maxScore, tests });
      rows.push(row);
      setup.progress?.(rows.length, mine.length, row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, mine.length) }, lane));
  const m = setup.lab.manifest;
  const record = { lab: { number: m.number, slug: m.slug, title: m.title }, columns, rows };
  await writeBatchOutputs(setup.outDir, record);
  return { record, skipped: listed.skipped };
}

/** What every submission's grading shares: the maximum score and the hash of the tests. */
interface Grading {
  maxScore: number;
  tests: string;
}

async function gradeOne(setup: BatchSetup, found: FoundSubmission, grading: Grading): Promise<StudentGrade> {
  const none = { student: found.id, score: 0, maxScore: grading.maxScore, points: {}, failures: [] };
  let unpacked: string | undefined;
  try {
    let dir = found.path;
    let commit: string | undefined;
    if (found.kind !== 'folder') {
      unpacked = await mkdtemp(path.join(tmpdir(), 'ringlab-submission-'));
      if (found.kind === 'archive') dir = unpackSubmission(found.path, unpacked);
      else {
        dir = path.join(unpacked, 'repository');
        commit = await cloneSubmission(found.path, found.revision ?? 'HEAD', dir);
      }
    }
    const row = await gradeFolder(setup, found, dir, grading);
    return commit === undefined || row.commit === commit ? row : { ...row, commit };
  } catch (e) {
    if (e instanceof CloneError) return { ...none, status: 'no-submission', detail: e.message };
    if (!(e instanceof ArchiveError)) throw e;
    return { ...none, status: 'no-submission', detail: `${path.basename(found.path)}: ${e.message}` };
  } finally {
    if (unpacked !== undefined) await rm(unpacked, { recursive: true, force: true });
  }
}

/**
 * Unpacks an archive into `into` and returns the folder that holds the
 * submission: exports often wrap a repository in one top folder
 * ("alice-lab3-main/"), which is then the submission.
 */
function unpackSubmission(archive: string, into: string): string {
  const size = statSync(archive).size;
  if (size > ARCHIVE_LIMITS.totalBytes) throw new ArchiveError(`larger than ${ARCHIVE_LIMITS.totalBytes >> 20} MiB`);
  unpackArchive(path.basename(archive), readFileSync(archive), into);
  const top = readdirSync(into, { withFileTypes: true });
  const only = top.length === 1 ? top[0] : undefined;
  const wrapped = only?.isDirectory() === true && only.name !== 'kernel' && only.name !== 'labs';
  return wrapped ? path.join(into, only.name) : into;
}

async function gradeFolder(setup: BatchSetup, found: FoundSubmission, dir: string, grading: Grading): Promise<StudentGrade> {
  const none = { student: found.id, score: 0, maxScore: grading.maxScore, points: {}, failures: [] };
  let submission;
  try {
    submission = findSubmission(dir, setup.lab.manifest);
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    const name = found.kind === 'git' ? `${found.path} at ${found.revision ?? 'HEAD'}` : path.basename(found.path);
    return { ...none, status: 'no-submission', detail: `${name} has neither labs/kernel/ nor kernel/` };
  }
  let report: GradeReport;
  let key: string | undefined;
  // Each submission's kernel and programs in a folder of their own: submissions in
  // flight would otherwise prune each other's builds from the lab's shared folder
  // between one's build and its reading them. Compiled objects are still shared (the step cache).
  const outDir = await mkdtemp(path.join(tmpdir(), 'ringlab-batch-build-'));
  try {
    const built = await buildForTests(setup.courseRoot, setup.lab, { submission, outDir, ...(setup.cc ? { cc: setup.cc } : {}) });
    if (built.ok) {
      key = gradingKey(grading.tests, built.inputs);
      const kept = setup.previous?.rows.find((r) => r.student === found.id && r.key === key);
      if (kept !== undefined) return kept;
    }
    report = await gradeBuilt(setup.lab, setup.specFiles, built, { revealed: true, ...(setup.jobs ? { jobs: setup.jobs } : {}) });
  } catch (e) {
    // One submission's trouble, even a bug of ours, is that submission's row; the batch goes on.
    return { ...none, score: null, status: 'grader-error', detail: messageOf(e) };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  await writeReports(redact(report, { reveal: false }), path.join(setup.outDir, STUDENTS_DIR, found.id));
  const points = Object.fromEntries(report.tests.map((t) => [t.id, t.score]));
  const failures = report.tests.filter((t) => t.status !== 'passed').map((t) => ({ test: t.id, headline: t.reason }));
  if (report.fatal !== undefined || (couldNotGrade(report) && report.buildLog === undefined)) {
    return { ...none, points, failures, score: null, status: 'grader-error', detail: report.fatal ?? firstGraderError(report) };
  }
  if (report.buildLog !== undefined) {
    return { ...none, points, status: 'build-error', detail: report.buildLog };
  }
  return { ...none, points, failures, score: report.score, status: 'graded', detail: '', ...(key !== undefined ? { key } : {}) };
}

function firstGraderError(report: GradeReport): string {
  const t = report.tests.find((r) => r.run.end === 'grader-error');
  return t === undefined ? 'grading could not run' : `${t.id}: ${t.reason}`;
}
