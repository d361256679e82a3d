// `lab list`: the labs of a course, one line each, so a student can see which
// number to pass to `lab build` and `lab grade` and what each is worth.

import type { Command } from 'commander';
import { type Lab, LabError, listLabs, resolveCourseRoot } from '../course/labs.ts';
import { InputError } from './run-command.ts';

interface ListOptions {
  course?: string;
}

export function registerListCommand(program: Command, done: (status: number) => void): void {
  program
    .command('list')
    .description('list the labs of the course: number, folder, title and points')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else the repository\'s labs/)')
    .action((options: ListOptions) => {
      const root = asInputError(() => resolveCourseRoot(options.course));
      const labs = asInputError(() => listLabs(root));
      if (labs.length === 0) throw new InputError(`no labs in ${root}: a lab is a folder named NN-slug holding a lab.json`);
      process.stdout.write(formatLabList(labs));
      done(0);
    });
}

/** One aligned line per lab: "  3  03-usermode  User mode and system calls  20 points". */
export function formatLabList(labs: Lab[]): string {
  const width = Math.max(...labs.map((l) => l.manifest.slug.length));
  const titleWidth = Math.max(...labs.map((l) => l.manifest.title.length));
  return labs
    .map(({ manifest: m }) => {
      const points = m.points === undefined ? '' : `  ${m.points} point${m.points === 1 ? '' : 's'}`;
      return `${String(m.number).padStart(3)}  ${m.slug.padEnd(width)}  ${m.title.padEnd(titleWidth)}${points}`.trimEnd() + '\n';
    })
    .join('');
}

/** Course problems are bad input to the command: one line, exit status 2. */
export function asInputError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LabError) throw new InputError(e.message);
    throw e;
  }
}
