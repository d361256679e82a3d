// `lab validate N`: the instructor's check that lab N's tests work: the
// reference kernel scores full marks and every mutant loses the points its
// mutant file says it must. Exit status: 0 sound, 1 not, 2 bad input.

import { type Command, Option } from 'commander';
import type { CompilerName } from '../toolchain/build.ts';
import { NO_SANDBOX_HELP } from '../toolchain/sandbox.ts';
import { JOBS_HELP } from './grade-command.ts';
import { InputError } from './run-command.ts';
import { parseLabNumber, wholeNumber } from './lab-options.ts';

interface ValidateCommandOptions {
  course?: string;
  hidden?: string;
  cc?: CompilerName;
  jobs?: string;
  coverage?: boolean;
}

export function registerValidateCommand(program: Command, done: (status: number) => void): void {
  program
    .command('validate')
    .description('check lab N\'s tests: the reference scores full marks and every mutant in mutants/ is caught')
    .argument('<N>', 'the lab number, as `lab list` shows it')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else the repository\'s labs/)')
    .option('--hidden <dir>', 'hidden tests to include (default: $LAB_HIDDEN, else the lab\'s hidden/ folder)')
    .option('--jobs <n>', JOBS_HELP)
    .option('--coverage', 'also take out each of the lab\'s solution regions on its own and list the tests that fail without it; a region no test notices fails validation')
    .addOption(new Option('--cc <compiler>', 'the compiler (default: $CC if it names gcc or clang, else gcc)').choices(['gcc', 'clang']))
    .option('--no-sandbox', NO_SANDBOX_HELP)
    .addHelpText(
      'after',
      `
Exit status:
  0   the reference scores full marks and every mutant is caught
  1   the reference loses points, a mutant is not caught, a mutant does not build,
      or (--coverage) a solution region is checked by no test
  2   bad input: unknown lab, malformed mutant, a mustFail id that names no test`,
    )
    .action(async (n: string, options: ValidateCommandOptions) => {
      done(await validateCommand(n, options));
    });
}

async function validateCommand(n: string, options: ValidateCommandOptions): Promise<number> {
  parseLabNumber(n);
  const jobs = options.jobs === undefined ? undefined : wholeNumber(options.jobs, '--jobs', 1, 256);

  const { LabError, findLab, resolveCourseRoot } = await import('../course/labs.ts');
  const { HiddenDirError, hiddenDir } = await import('../course/hidden.ts');
  const { SpecError } = await import('../api/spec.ts');
  const { formatValidation, validateLab } = await import('../authoring/validate.ts');
  try {
    const root = resolveCourseRoot(options.course);
    const lab = findLab(root, Number(n));
    const hidden = hiddenDir(options.hidden) ?? lab.hiddenDir;
    const validation = await validateLab(root, lab, {
      ...(hidden !== undefined ? { hidden } : {}),
      ...(options.cc ? { cc: options.cc } : {}),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(options.coverage ? { coverage: true } : {}),
    });
    process.stdout.write(formatValidation(validation));
    return validation.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof LabError || e instanceof HiddenDirError || e instanceof SpecError) throw new InputError(e.message);
    throw e;
  }
}
