// `lab run N --test ID`: replay one test of lab N by hand. The lab is built
// as `lab grade` builds it (same course, submission, compiler and sandbox,
// the same build cache), the test is found among the same spec files, and
// its machine is the one the grader ran (test-machine.ts): same kernel,
// modules named and given command lines alike, kernel command line, RAM,
// budget, output limit and serial input. What differs is only what is
// watched: guest output goes to stdout, and --trace and --stats as for any run.

import path from 'node:path';
import { InputError, limitOptions, runMachine, type LimitOptions, type RunDisplay } from './run-command.ts';
import { asInput, labSetup, type LabOptions } from './lab-options.ts';

/** What a replay is given: where the lab comes from, the test, how to watch it, and the limits to change. */
export type ReplayOptions = LabOptions & LimitOptions & Omit<RunDisplay, 'kernelFile'> & { test?: string };

/** The options that describe a machine of one's own, which a replay takes from the test instead. */
const SET_UP_BY_THE_TEST = [
  ['kernel', '--kernel'],
  ['module', '--module'],
  ['cmdline', '--cmdline'],
  ['serialInput', '--serial-input'],
] as const;

export async function replayTest(labArg: string | undefined, options: ReplayOptions, given: (option: string) => boolean): Promise<number> {
  if (labArg === undefined) throw new InputError(`--test needs the lab number first, as in lab run 3 --test ${options.test ?? 'faults/cli'}`);
  if (options.test === undefined) {
    throw new InputError(`lab run ${labArg} needs --test ID naming the test to replay (lab grade ${labArg} prints it under each failed test), or use lab run --kernel FILE`);
  }
  for (const [option, flag] of SET_UP_BY_THE_TEST) {
    if (given(option)) throw new InputError(`${flag} cannot be used with --test: the test sets up its own machine; to boot one of yours, use lab run --kernel FILE`);
  }
  const pattern = options.test;
  const setup = await labSetup(labArg, options);
  const [{ listTests }, { pickTest }, { buildForTests }, { testMachineConfig, unknownProgram }] = await Promise.all([
    import('../run/test-list.ts'), import('../run/select.ts'), import('../grade.ts'), import('../run/test-machine.ts'),
  ]);
  const { tasks } = await listTests(setup.specFiles);
  const test = await asInput(() => pickTest(tasks, pattern));

  const built = await asInput(() => buildForTests(setup.courseRoot, setup.lab, {
    ...(setup.cc ? { cc: setup.cc } : {}), ...(setup.submission ? { submission: setup.submission } : {}),
  }));
  if (!built.ok) {
    // Standard output is the guest's: the compiler's messages go with the error.
    process.stderr.write(built.log.endsWith('\n') || built.log === '' ? built.log : `${built.log}\n`);
    throw new InputError(`${setup.lab.manifest.slug}: the ${built.stage} did not build; the compiler's messages are above`);
  }
  const problem = unknownProgram(test.spec, built.inputs.programs);
  if (problem !== undefined) throw new InputError(`test ${test.id}: ${problem}`);
  const kernelFile = path.relative(process.cwd(), built.files.kernel) || built.files.kernel;
  return runMachine({ ...testMachineConfig(test.spec, built.inputs), ...limitOptions(options, given) }, { ...options, kernelFile });
}
