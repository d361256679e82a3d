// Grading a lab, the steps `lab grade` and `lab validate` share: build the
// kernel and programs, run every spec file's tests, and assemble the report.
// A compile error is a graded result: every test fails with the compiler's words.

import { readFile, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Submission } from './toolchain/build-inputs.ts';
import { buildLab, type BuildStage, type CompilerName } from './toolchain/build.ts';
import type { Lab } from './course/labs.ts';
import type { GradeReport, TestResult } from './model.ts';
import { withReplays, type BuiltFiles, type ReplaySetup } from './run/replay.ts';
import { runTests } from './run/runner.ts';
import { listTests, type SpecFile } from './run/test-list.ts';
import { errorResult, resultBase, type TestInputs } from './run/run-test.ts';
import { assembleReport } from './scoring/score.ts';

export interface GradeOptions {
  cc?: CompilerName;
  /** Where builds are cached (default: build/lab-NN of this repository). */
  outDir?: string;
  /** Instructor mode: the report keeps hidden tests' details (redact() uses it). */
  revealed?: boolean;
  jobs?: number;
  /** A student's submission graded against this course: only its student files are taken from it. */
  submission?: Submission;
  /** Grade only the tests with these ids (`--test`); the score and maximum count only them. */
  only?: ReadonlySet<string>;
  /** No test starts after this (`lab grade --time-limit`); see RunnerOptions.deadline. */
  deadline?: { at: number; seconds: number };
  /** Give each failed test the commands that replay its run (grader/run/replay.ts). */
  replay?: ReplaySetup;
}

/** A lab built as grading builds it: what its tests run on, and where the files are. */
export type BuiltLab =
  | { ok: true; inputs: TestInputs; files: BuiltFiles }
  | { ok: false; stage: BuildStage; log: string };

/** Builds lab `lab` from `courseRoot` exactly as `lab grade` does and reads what its tests share. */
export async function buildForTests(courseRoot: string, lab: Lab, opts: Pick<GradeOptions, 'cc' | 'outDir' | 'submission'> = {}): Promise<BuiltLab> {
  const m = lab.manifest;
  const built = await buildLab(courseRoot, m, {
    ...(opts.outDir ? { outDir: opts.outDir } : {}),
    ...(opts.cc ? { cc: opts.cc } : {}),
    ...(opts.submission ? { submission: opts.submission } : {}),
  });
  if (!built.ok) return built;
  const programs: Record<string, Uint8Array> = {};
  for (const [name, file] of Object.entries(built.programs)) programs[name] = await readFile(file);
  const inputs: TestInputs = {
    kernel: await readFile(built.kernel),
    kernelName: 'kernel.elf',
    programs,
    defaults: { ramMiB: m.ramMiB, maxInstructions: m.maxInstructions, maxOutputBytes: m.maxOutputBytes },
  };
  return { ok: true, inputs, files: { kernel: built.kernel, programs: built.programs } };
}

/**
 * Builds lab `lab` from `courseRoot` and runs `specFiles` on it, as `lab grade`
 * does (a compile error makes every test a failed build-error result). The
 * spec files may come from another course directory than the kernel: a
 * mutated copy is graded by the original course's tests.
 */
export async function gradeLab(courseRoot: string, lab: Lab, given: SpecFile[], opts: GradeOptions = {}): Promise<GradeReport> {
  return gradeBuilt(lab, given, await buildForTests(courseRoot, lab, opts), opts);
}

/** Runs `given` on a lab built by buildForTests (or reports its build error), as gradeLab does. */
export async function gradeBuilt(lab: Lab, given: SpecFile[], built: BuiltLab, opts: GradeOptions = {}): Promise<GradeReport> {
  const m = lab.manifest;
  const specFiles = await uniqueSpecFiles(given);
  const labInfo = { number: m.number, slug: m.slug, title: m.title };
  if (!built.ok) {
    // A spec file that cannot be loaded is the grader's error here too, not a test less.
    const { tasks, broken } = await listTests(specFiles);
    const results: TestResult[] = [...broken];
    for (const task of tasks) {
      if (opts.only && !opts.only.has(task.id)) continue;
      results.push(errorResult(resultBase(task.spec, task), 'build-error', `the ${built.stage} did not compile; see the compiler output`));
    }
    return assembleReport(results, { lab: labInfo, revealed: opts.revealed ?? false, buildLog: built.log });
  }
  const ran = await runTests(specFiles, built.inputs, {
    ...(opts.jobs ? { jobs: opts.jobs } : {}), ...(opts.only ? { only: opts.only } : {}), ...(opts.deadline ? { deadline: opts.deadline } : {}),
  });
  const results = opts.replay ? withReplays(ran, (await listTests(specFiles)).tasks, built.inputs, built.files, opts.replay) : ran;
  const report = assembleReport(results, { lab: labInfo, revealed: opts.revealed ?? false });
  if (report.fatal === undefined && m.points !== undefined && report.maxScore > m.points + 1e-9) {
    return assembleReport(results, {
      lab: labInfo,
      revealed: opts.revealed ?? false,
      fatal: `the tests add up to ${report.maxScore} points, more than lab.json's ${m.points}; a test is counted twice or its points are wrong`,
    });
  }
  return report;
}

/**
 * Each spec file once, by its real path, however many names lead to it (a
 * link in tests/ to a hidden spec); where one of the names is hidden, the
 * file is hidden, so a link cannot make a hidden test public.
 */
async function uniqueSpecFiles(files: SpecFile[]): Promise<SpecFile[]> {
  const byReal = new Map<string, SpecFile>();
  for (const file of files) {
    const real = await realpath(file.specFile).catch(() => path.resolve(file.specFile));
    const seen = byReal.get(real);
    if (seen === undefined) byReal.set(real, file);
    else if (file.hidden && !seen.hidden) byReal.set(real, file);
  }
  return [...byReal.values()];
}

/** A lab's public spec files, in name order. */
export async function publicSpecFiles(lab: Lab): Promise<SpecFile[]> {
  let names: string[];
  try {
    names = await readdir(lab.testsDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.(ts|mts|js|mjs)$/.test(n) && !n.endsWith('.d.ts'))
    .sort()
    .map((n) => ({ specFile: path.join(lab.testsDir, n), hidden: false }));
}

