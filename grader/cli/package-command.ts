// `lab package N --gradescope --out autograder.zip`: lab N packed for a
// grading platform, with the hidden tests and without the reference solution.

import path from 'node:path';
import type { Command } from 'commander';
import { asInput, parseLabNumber } from './lab-options.ts';
import { InputError } from './run-command.ts';

interface PackageOptions {
  gradescope: boolean;
  out: string;
  course?: string;
  hidden?: string;
}

export function registerPackageCommand(program: Command, done: (status: number) => void): void {
  program
    .command('package')
    .description('pack lab N as an autograder for a grading platform (Gradescope), hidden tests included, the reference solution left out')
    .argument('<lab>', 'the lab number, e.g. 3')
    .option('--gradescope', "Gradescope's autograder.zip (setup.sh and run_autograder)", false)
    .requiredOption('--out <file>', 'the archive to write, e.g. autograder.zip')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else labs/ of this repository)')
    .option('--hidden <dir>', "the hidden tests to pack (default: $LAB_HIDDEN, else the lab's hidden/ folder)")
    .action(async (lab: string, options: PackageOptions) => {
      done(await packageCommand(lab, options));
    });
}

async function packageCommand(labArg: string, options: PackageOptions): Promise<number> {
  const n = parseLabNumber(labArg);
  if (!options.gradescope) throw new InputError('say which platform to pack for: --gradescope (the only one so far)');
  const [{ findLab, resolveCourseRoot }, { hiddenDir }, { writeGradescopePackage }] = await Promise.all([
    import('../course/labs.ts'), import('../course/hidden.ts'), import('../batch/gradescope-package.ts'),
  ]);
  const courseRoot = await asInput(() => resolveCourseRoot(options.course));
  const lab = await asInput(() => findLab(courseRoot, n));
  const hidden = hiddenDir(options.hidden) ?? lab.hiddenDir;
  const out = path.resolve(options.out);
  const written = await asInput(() => writeGradescopePackage(courseRoot, n, out, hidden !== undefined ? { hiddenDir: hidden } : {}));
  process.stdout.write(
    `${out}: Gradescope autograder for lab ${n}, ${(written.bytes / 1024).toFixed(0)} KiB; ` +
      `${written.hidden !== undefined ? `hidden tests from ${hidden}` : 'no hidden tests'}; upload it as the assignment's autograder\n`,
  );
  return 0;
}
