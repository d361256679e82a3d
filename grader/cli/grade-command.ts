// `lab grade N`: build lab N's kernel and programs with the fixed command
// line, run every public (and hidden) test on a fresh machine, and report:
// a terminal summary always, HTML + results.json + JUnit with --out. With
// --test, only the matching tests run; under each failed test the reports
// print the command that replays its run (grader/run/replay.ts).
// Exit status: 0 all passed, 1 some test failed (or the score is under
// --fail-under), 2 grading could not run.

import path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from './run-command.ts';
import { addLabOptions, asInput, buildDeciding, labInvocation, labSetup, TEST_PATTERN_HELP, wholeNumber, type LabOptions } from './lab-options.ts';
import type { GradeReport } from '../model.ts';

interface GradeCommandOptions extends LabOptions {
  reveal: boolean;
  out?: string;
  jobs?: string;
  failUnder?: string;
  timeLimit?: string;
  test: string[];
  gdb?: string | true;
}

/** --jobs for every command that grades. */
export const JOBS_HELP = 'threads to grade on, at most (default: the number of cores); threads beyond the first start only when the tests left are long enough to pay for them';

export function registerGradeCommand(program: Command, done: (status: number) => void): void {
  const command = program
    .command('grade')
    .description('build lab N and run its tests; prints a summary, and writes reports with --out')
    .argument('<lab>', 'the lab number, e.g. 3')
    .addOption(
      new Option('--test <pattern>', `run only the matching tests (repeatable): ${TEST_PATTERN_HELP}`)
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'all'),
    );
  addLabOptions(command)
    .option('--reveal', 'show hidden tests in full (instructor mode)', false)
    .option('--out <dir>', 'write report.html, results.json (Gradescope) and junit.xml to DIR')
    .option('--jobs <n>', JOBS_HELP)
    .option('--fail-under <percent>', 'exit 1 only when the score is below this percentage (a CI gate)')
    .option('--gdb [host:port]', "debug one test's run (give one --test): it starts stopped and waits for gdb (target remote) on 127.0.0.1:1234, or the loopback address given; the run is the one lab run N --test ID --gdb replays")
    .option('--time-limit <seconds>', "start no test after this many seconds of grading; the tests left are reported as not run and the others keep their points (for a platform's time-out)")
    .addHelpText(
      'after',
      `
Each failed test is followed by a command that replays its run (lab run N --test ID).

Exit status:
  0   every test passed (or the score reached --fail-under)
  1   some test failed (or the score is below --fail-under)
  2   grading could not run: the kernel did not compile (the report still says why and
      gives 0 points), a test spec cannot be loaded, an unknown lab, a bad course or
      hidden-test directory, a missing compiler, a --test pattern that matches no test`,
    )
    .action(async (lab: string, options: GradeCommandOptions) => {
      done(await grade(lab, options));
    });
}

async function grade(labArg: string, options: GradeCommandOptions): Promise<number> {
  if (options.gdb !== undefined) return debugOneTest(labArg, options);
  const jobs = options.jobs === undefined ? undefined : wholeNumber(options.jobs, '--jobs', 1, 256);
  const failUnder = options.failUnder === undefined ? undefined : percentage(options.failUnder);
  // Host time, on purpose: it is the platform's clock that kills a grading run, not the guest's.
  const timeLimit = options.timeLimit === undefined ? undefined : wholeNumber(options.timeLimit, '--time-limit', 1, 86_400);
  const deadline = timeLimit === undefined ? undefined : { at: performance.now() + timeLimit * 1000, seconds: timeLimit };
  const setup = await labSetup(labArg, options);

  const [{ gradeLab }, { redact }, { listTests }, { selectTests }] =
    await Promise.all([import('../grade.ts'), import('../course/hidden.ts'), import('../run/test-list.ts'), import('../run/select.ts')]);
  const { couldNotGrade, processExitCode } = await import('../scoring/score.ts');
  const { formatTerminal } = await import('../report/terminal.ts');

  let only: Set<string> | undefined;
  let total = 0;
  if (options.test.length > 0) {
    const { tasks } = await listTests(setup.specFiles);
    total = tasks.length;
    only = new Set((await asInput(() => selectTests(tasks, options.test))).map((t) => t.id));
  }
  const full = await asInput(() => gradeLab(setup.courseRoot, setup.lab, setup.specFiles, {
    revealed: options.reveal,
    ...(setup.cc ? { cc: setup.cc } : {}), ...(jobs ? { jobs } : {}), ...(setup.submission ? { submission: setup.submission } : {}),
    ...(only ? { only } : {}), ...(deadline ? { deadline } : {}),
    replay: {
      lab: labInvocation(), labNumber: setup.number, options: buildDeciding(options), cwd: process.cwd(),
      ...(setup.hidden !== undefined ? { hiddenDir: setup.hidden } : {}),
    },
  }));
  const graded: GradeReport = only ? { ...full, selection: { patterns: options.test, of: total } } : full;
  const shown: GradeReport = redact(graded, { reveal: options.reveal });
  process.stdout.write(formatTerminal(shown, { color: process.stdout.isTTY === true }));
  // Bugs of ours keep their whole stack, on stderr (not in any report): Gradescope and CI logs keep it for us.
  for (const t of full.tests) {
    if (t.internalError !== undefined) process.stderr.write(`lab: internal error in test ${t.id}; please report it to the ringlab maintainers:\n${t.internalError}\n`);
  }
  if (options.out !== undefined) {
    const { writeReports } = await import('../report/write-reports.ts');
    const paths = await writeReports(shown, path.resolve(options.out));
    process.stdout.write(`reports: ${Object.values(paths).map((p) => path.relative(process.cwd(), p)).join(', ')}\n`);
  }

  if (failUnder !== undefined && !couldNotGrade(full)) {
    const percent = full.maxScore === 0 ? 100 : (full.score / full.maxScore) * 100;
    return percent >= failUnder ? 0 : 1;
  }
  return processExitCode(full);
}

/**
 * --gdb: the one test --test names, run under gdb exactly as the grader runs
 * it (the replay of lab run N --test ID). The checks need a run that ended on
 * its own, so the verdict comes from lab grade without --gdb.
 */
async function debugOneTest(labArg: string, options: GradeCommandOptions): Promise<number> {
  const [pattern, ...more] = options.test;
  if (pattern === undefined || more.length > 0) {
    throw new InputError(`--gdb debugs one test: give exactly one --test naming it, as in lab grade ${labArg} --test ID --gdb (lab grade ${labArg} lists the ids under failed tests)`);
  }
  const { replayTest } = await import('./run-lab-test.ts');
  const { gdb, course, submission, hidden, cc } = options;
  const status = await replayTest(labArg, {
    test: pattern, gdb, stats: false,
    ...(course !== undefined ? { course } : {}), ...(submission !== undefined ? { submission } : {}),
    ...(hidden !== undefined ? { hidden } : {}), ...(cc !== undefined ? { cc } : {}),
  }, () => false);
  process.stderr.write(`lab: that was the run of test ${pattern} under gdb; lab grade ${labArg} --test ${pattern} (without --gdb) gives its verdict\n`);
  return status;
}

function percentage(text: string): number {
  const v = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(v >= 0 && v <= 100)) throw new InputError(`--fail-under must be a percentage from 0 to 100, not '${text}'`);
  return v;
}
