// `lab build N`: compile lab N's kernel and user programs with the grader's
// fixed command line and print where the outputs are, so a student can boot
// exactly what will be graded (`lab run --kernel <path>`). A compile error is
// this command's failure: the compiler's messages on stdout, one line on
// stderr, exit status 2.

import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { buildLab, type CompilerName } from '../toolchain/build.ts';
import { LabError, findLab, resolveCourseRoot } from '../course/labs.ts';
import { NO_SANDBOX_HELP } from '../toolchain/sandbox.ts';
import { asInputError } from './list-command.ts';
import { EXIT_BAD_INPUT, InputError } from './run-command.ts';
import { parseLabNumber } from './lab-options.ts';

interface BuildCommandOptions {
  course?: string;
  cc?: CompilerName;
}

export function registerBuildCommand(program: Command, done: (status: number) => void): void {
  program
    .command('build')
    .description('compile lab N\'s kernel and user programs as the grader does and print the output paths')
    .argument('<N>', 'the lab number, as `lab list` shows it')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else the repository\'s labs/)')
    .addOption(new Option('--cc <compiler>', 'the compiler (default: $CC if it names gcc or clang, else gcc)').choices(['gcc', 'clang']))
    .option('--no-sandbox', NO_SANDBOX_HELP)
    .action(async (n: string, options: BuildCommandOptions) => {
      done(await buildCommand(parseLabNumber(n), options));
    });
}

async function buildCommand(n: number, options: BuildCommandOptions): Promise<number> {
  const root = asInputError(() => resolveCourseRoot(options.course));
  const lab = asInputError(() => findLab(root, n));
  const started = performance.now();
  let outcome;
  try {
    outcome = await buildLab(root, lab.manifest, { cc: options.cc });
  } catch (e) {
    if (e instanceof LabError) throw new InputError(e.message);
    throw e;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const name = lab.manifest.slug;
  if (!outcome.ok) {
    process.stdout.write(outcome.log.endsWith('\n') || outcome.log === '' ? outcome.log : `${outcome.log}\n`);
    process.stderr.write(`lab: ${name}: the ${outcome.stage} did not build; the compiler's messages are above\n`);
    return EXIT_BAD_INPUT;
  }
  process.stdout.write(outcome.log);
  const rows: [string, string][] = [['kernel', outcome.kernel], ...Object.entries(outcome.programs)];
  const width = Math.max(...rows.map(([label]) => label.length));
  const { compiled, linked, reused } = outcome.steps;
  const plural = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
  const steps = `${plural(compiled, 'compile')}, ${plural(linked, 'link')}, ${reused} reused`;
  process.stdout.write(`${name}: ${outcome.cached ? 'up to date' : `built in ${seconds} s (${steps})`}\n`);
  for (const [label, file] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${displayPath(file)}\n`);
  return 0;
}

/** Relative to the working directory when the file is under it: shorter, and what a student types next. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}
