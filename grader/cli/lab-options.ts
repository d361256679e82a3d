// What `lab grade N` and `lab run N --test` share: the options that say which
// course, submission, hidden tests and compiler, and how they become a lab,
// its spec files and a build. Both go through here, so a replay builds and
// lists exactly what the grading run it repeats did.

import path from 'node:path';
import type { Command } from 'commander';
import type { Submission } from '../toolchain/build-inputs.ts';
import type { CompilerName } from '../toolchain/build.ts';
import type { Lab } from '../course/labs.ts';
import type { SpecFile } from '../run/test-list.ts';
import { NO_SANDBOX_HELP, SANDBOX_ENV } from '../toolchain/sandbox.ts';
import { InputError } from './run-command.ts';

export interface LabOptions {
  course?: string;
  submission?: string;
  hidden?: string;
  cc?: string;
}

/** The lab's spec files and where they and the kernel come from. */
export interface LabSetup {
  number: number;
  courseRoot: string;
  lab: Lab;
  /** The hidden-test directory (--hidden, else $LAB_HIDDEN), when there is one. */
  hidden?: string;
  submission?: Submission;
  cc?: CompilerName;
  specFiles: SpecFile[];
}

/** --test, as `lab grade` and `lab run` explain it. */
export const TEST_PATTERN_HELP =
  "the start of test ids (file/name, e.g. faults/cli; hello for hello.ts's tests), else a piece of an id or name; any case, no wildcards";

/** Adds --course, --submission (unless `withSubmission` is false), --hidden, --cc and --no-sandbox to `command`. */
export function addLabOptions(command: Command, withSubmission = true): Command {
  command.option('--course <dir>', 'the course directory (default: $LAB_COURSE, else labs/ of this repository)');
  if (withSubmission) {
    command.option('--submission <dir>', "grade a student's work: their kernel files from DIR (their repository), everything else from the course");
  }
  return command
    .option('--hidden <dir>', 'also run the hidden tests in DIR (default: $LAB_HIDDEN)')
    .option('--cc <compiler>', 'gcc or clang (default: $CC, else gcc)')
    .option('--no-sandbox', NO_SANDBOX_HELP);
}

/**
 * The course, the lab, its submission and its spec files (public, then hidden
 * when a hidden directory is given), every problem one InputError line.
 */
export async function labSetup(labArg: string, options: LabOptions): Promise<LabSetup> {
  const number = parseLabNumber(labArg);
  const cc = options.cc === undefined ? undefined : compilerName(options.cc);
  // Loaded after the arguments are known to be good, so that --help and bad input stay instant.
  const [{ findLab, resolveCourseRoot }, { publicSpecFiles }, { hiddenDir, loadHiddenSpecs }, submissions] = await Promise.all([
    import('../course/labs.ts'), import('../grade.ts'), import('../course/hidden.ts'), import('../course/submission.ts'),
  ]);
  const courseRoot = await asInput(() => resolveCourseRoot(options.course));
  const lab = await asInput(() => findLab(courseRoot, number));
  const hidden = hiddenDir(options.hidden);
  const submission = await asInput(() => {
    if (hidden !== undefined) submissions.refuseStudentControlledHidden(courseRoot, number);
    else submissions.refuseStudentCourse(courseRoot, number);
    return options.submission === undefined ? undefined : submissions.findSubmission(options.submission, lab.manifest);
  });

  const specFiles = await publicSpecFiles(lab);
  if (hidden !== undefined) {
    const { checkPrivateFromBuilds } = await import('../toolchain/sandbox.ts');
    await asInput(() => checkPrivateFromBuilds([hidden]));
    specFiles.push(...(await asInput(() => loadHiddenSpecs(hidden))));
  }
  if (specFiles.length === 0) throw new InputError(`lab ${number} has no test specs in ${lab.testsDir}`);
  return {
    number, courseRoot, lab, specFiles,
    ...(hidden !== undefined ? { hidden } : {}), ...(submission ? { submission } : {}), ...(cc ? { cc } : {}),
  };
}

/** The options a replay command repeats: those that decide what is built, as they were given. */
export function buildDeciding(options: LabOptions): string[] {
  const words: string[] = [];
  if (options.course !== undefined) words.push('--course', options.course);
  if (options.submission !== undefined) words.push('--submission', options.submission);
  if (options.cc !== undefined) words.push('--cc', options.cc);
  if (process.env[SANDBOX_ENV] === 'off') words.push('--no-sandbox');
  return words;
}

/** How this `lab` was started, for commands it prints: "npx lab", "lab", or "node <path of lab.js>". */
export function labInvocation(cwd = process.cwd()): string {
  const script = process.argv[1] ?? 'lab';
  if (path.basename(script) === 'lab') return process.env.npm_command === 'exec' ? 'npx lab' : 'lab';
  const rel = path.relative(cwd, script);
  return `node ${rel.startsWith('..') || path.isAbsolute(rel) ? script : rel}`;
}

/** Course, hidden-test, spec and selection problems are bad input: one line, exit status 2. */
export async function asInput<T>(fn: () => T | Promise<T>): Promise<T> {
  const [{ LabError }, { HiddenDirError }, { SpecError }, { SelectionError }] = await Promise.all([
    import('../course/labs.ts'), import('../course/hidden.ts'), import('../api/spec.ts'), import('../run/select.ts'),
  ]);
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LabError || e instanceof HiddenDirError || e instanceof SpecError || e instanceof SelectionError) {
      throw new InputError(e.message);
    }
    throw e;
  }
}

/** A lab number as every command takes it: one or two digits. */
export function parseLabNumber(text: string): number {
  if (!/^\d{1,2}$/.test(text)) throw new InputError(`the lab number must be a whole number such as 3 (see lab list), not '${text}'`);
  return Number(text);
}

export function wholeNumber(text: string, what: string, min: number, max: number): number {
  const v = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new InputError(`${what} must be a whole number from ${min} to ${max}, not '${text}'`);
  return v;
}

function compilerName(text: string): CompilerName {
  if (text !== 'gcc' && text !== 'clang') throw new InputError(`--cc must be gcc or clang, not '${text}'`);
  return text;
}
