// `lab release N --out DIR`: write the student repository for lab N (the
// grader and the course with lab N's solutions cut out and instructor-only
// files left out), then check that it builds and grades to the manifest's
// starterScore. Exit status: 0 written and checked, 1 the check failed (the
// release is kept for inspection), 2 bad input.

import path from 'node:path';
import { type Command, Option } from 'commander';
import type { CompilerName } from '../toolchain/build.ts';
import { InputError } from './run-command.ts';
import { parseLabNumber } from './lab-options.ts';

interface ReleaseCommandOptions {
  out: string;
  course?: string;
  cc?: CompilerName;
  check: boolean;
}

export function registerReleaseCommand(program: Command, done: (status: number) => void): void {
  program
    .command('release')
    .description('write the student repository for lab N and check that it grades to its starter score')
    .argument('<N>', 'the lab number, as `lab list` shows it')
    .requiredOption('--out <dir>', 'where to write the repository (a new or empty directory)')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else the repository\'s labs/)')
    .addOption(new Option('--cc <compiler>', 'the compiler for the check (default: $CC if it names gcc or clang, else gcc)').choices(['gcc', 'clang']))
    .option('--no-check', 'skip building and grading the release')
    .addHelpText(
      'after',
      `
Exit status:
  0   the release is written (and builds and scores its starterScore)
  1   the release is written but does not build or scores something else
  2   bad input: unknown lab, a malformed solution region, --out not empty`,
    )
    .action(async (n: string, options: ReleaseCommandOptions) => {
      done(await releaseCommand(n, options));
    });
}

async function releaseCommand(n: string, options: ReleaseCommandOptions): Promise<number> {
  parseLabNumber(n);
  const { LabError, resolveCourseRoot } = await import('../course/labs.ts');
  const { checkRelease, writeRelease } = await import('../authoring/release.ts');
  const out = path.resolve(options.out);
  try {
    const { lab, leftOut } = await writeRelease(resolveCourseRoot(options.course), Number(n), out);
    const m = lab.manifest;
    process.stdout.write(`release: lab ${m.number} (${m.slug}) written to ${out}\n`);
    // A release copies only the kinds of file on its allow-lists; anything else is named, in case a student needs it.
    for (const file of leftOut) process.stdout.write(`release: left out ${file}: not a kind of file a student's repository takes (see grader/authoring/release.ts)\n`);
    if (!options.check) return 0;
    const check = await checkRelease(out, lab, options.cc ? { cc: options.cc } : {});
    if (check.ok) {
      process.stdout.write(`check: the starter builds and scores ${check.score}/${check.maxScore}, as lab.json's starterScore expects\n`);
      return 0;
    }
    if (check.summary) process.stdout.write(check.summary.endsWith('\n') ? check.summary : `${check.summary}\n`);
    process.stdout.write(`check FAILED: ${check.problem}\n`);
    return 1;
  } catch (e) {
    if (e instanceof LabError) throw new InputError(e.message);
    throw e;
  }
}
