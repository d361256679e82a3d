// `lab grade N`: build lab N's kernel and programs with the fixed command
// line, run every public (and hidden) test on a fresh machine, and report:
// a terminal summary always, HTML + results.json + JUnit with --out.
// Exit status: 0 all passed, 1 some test failed (or the score is under
// --fail-under), 2 grading could not run.

import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from './run-command.ts';
import { NO_SANDBOX_HELP } from '../sandbox.ts';
import type { GradeReport } from '../model.ts';

interface GradeOptions {
  course?: string;
  hidden?: string;
  reveal: boolean;
  out?: string;
  jobs?: string;
  failUnder?: string;
  cc?: string;
  submission?: string;
}

/** --jobs for every command that grades. */
export const JOBS_HELP = 'threads to grade on, at most (default: the number of cores); threads beyond the first start only when the tests left are long enough to pay for them';

export function registerGradeCommand(program: Command, done: (status: number) => void): void {
  program
    .command('grade')
    .description('build lab N and run its tests; prints a summary, and writes reports with --out')
    .argument('<lab>', 'the lab number, e.g. 3')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else labs/ of this repository)')
    .option('--submission <dir>', "grade a student's work: their kernel files from DIR (their repository), everything else from the course")
    .option('--hidden <dir>', 'also run the hidden tests in DIR (default: $LAB_HIDDEN)')
    .option('--reveal', 'show hidden tests in full (instructor mode)', false)
    .option('--out <dir>', 'write report.html, results.json (Gradescope) and junit.xml to DIR')
    .option('--jobs <n>', JOBS_HELP)
    .option('--fail-under <percent>', 'exit 1 only when the score is below this percentage (a CI gate)')
    .option('--cc <compiler>', 'gcc or clang (default: $CC, else gcc)')
    .option('--no-sandbox', NO_SANDBOX_HELP)
    .addHelpText(
      'after',
      `
Exit status:
  0   every test passed (or the score reached --fail-under)
  1   some test failed (or the score is below --fail-under)
  2   grading could not run: the kernel did not compile (the report still says why and
      gives 0 points), a test spec cannot be loaded, an unknown lab, a bad course or
      hidden-test directory, a missing compiler`,
    )
    .action(async (lab: string, options: GradeOptions) => {
      done(await grade(lab, options));
    });
}

async function grade(labArg: string, options: GradeOptions): Promise<number> {
  const number = wholeNumber(labArg, 'the lab number', 0, 99);
  const jobs = options.jobs === undefined ? undefined : wholeNumber(options.jobs, '--jobs', 1, 256);
  const failUnder = options.failUnder === undefined ? undefined : percentage(options.failUnder);
  const cc = options.cc === undefined ? undefined : compilerName(options.cc);

  // Loaded after the arguments are known to be good, so that --help and bad input stay instant.
  const [{ findLab, resolveCourseRoot, LabError }, { gradeLab, publicSpecFiles }, { hiddenDir, loadHiddenSpecs, redact, HiddenDirError }] =
    await Promise.all([import('../labs.ts'), import('../grade.ts'), import('../hidden.ts')]);
  const { SpecError } = await import('../spec.ts');
  const { findSubmission, refuseStudentControlledHidden, refuseStudentCourse } = await import('../submission.ts');
  const { couldNotGrade, exitStatus } = await import('../score.ts');
  const { formatTerminal } = await import('../report/terminal.ts');

  const asInput = (e: unknown): never => {
    if (e instanceof LabError || e instanceof HiddenDirError || e instanceof SpecError) throw new InputError(e.message);
    throw e;
  };

  const courseRoot = (() => { try { return resolveCourseRoot(options.course); } catch (e) { return asInput(e); } })();
  const lab = (() => { try { return findLab(courseRoot, number); } catch (e) { return asInput(e); } })();
  const hidden = hiddenDir(options.hidden);
  const submission = (() => {
    try {
      if (hidden !== undefined) refuseStudentControlledHidden(courseRoot, number);
      else refuseStudentCourse(courseRoot, number);
      return options.submission === undefined ? undefined : findSubmission(options.submission, lab.manifest);
    } catch (e) {
      return asInput(e);
    }
  })();

  const specFiles = await publicSpecFiles(lab);
  if (hidden !== undefined) specFiles.push(...(await loadHiddenSpecs(hidden).catch(asInput)));
  if (specFiles.length === 0) throw new InputError(`lab ${number} has no test specs in ${lab.testsDir}`);

  const full = await gradeLab(courseRoot, lab, specFiles, {
    revealed: options.reveal, ...(cc ? { cc } : {}), ...(jobs ? { jobs } : {}), ...(submission ? { submission } : {}),
  }).catch(asInput);
  const shown: GradeReport = redact(full, { reveal: options.reveal });
  process.stdout.write(formatTerminal(shown, { color: process.stdout.isTTY === true }));
  if (options.out !== undefined) {
    const { writeReports } = await import('../report/write-reports.ts');
    const paths = await writeReports(shown, path.resolve(options.out));
    process.stdout.write(`reports: ${Object.values(paths).map((p) => path.relative(process.cwd(), p)).join(', ')}\n`);
  }

  if (failUnder !== undefined && !couldNotGrade(full)) {
    const percent = full.maxScore === 0 ? 100 : (full.score / full.maxScore) * 100;
    return percent >= failUnder ? 0 : 1;
  }
  return exitStatus(full);
}


function wholeNumber(text: string, what: string, min: number, max: number): number {
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new InputError(`${what} must be a whole number from ${min} to ${max}, not '${text}'`);
  return v;
}

function percentage(text: string): number {
  const v = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 100)) throw new InputError(`--fail-under must be a percentage from 0 to 100, not '${text}'`);
  return v;
}

function compilerName(text: string): 'gcc' | 'clang' {
  if (text !== 'gcc' && text !== 'clang') throw new InputError(`--cc must be gcc or clang, not '${text}'`);
  return text;
}
