// `lab new N SLUG --title "..."`: scaffolds lab N from the course's latest
// lab, with a public test, a hidden test, a mutant and a handout that `lab
// validate N` accepts at once.

import path from 'node:path';
import type { Command } from 'commander';
import { asInput, parseLabNumber } from './lab-options.ts';

interface NewOptions {
  title: string;
  course?: string;
}

export function registerNewCommand(program: Command, done: (status: number) => void): void {
  program
    .command('new')
    .description('start lab N: a lab folder (manifest, handout, a public and a hidden test, a mutant) that lab validate N accepts at once')
    .argument('<N>', 'the new lab\'s number')
    .argument('<slug>', 'its folder name after the number, e.g. page-tables (the folder is NN-slug)')
    .requiredOption('--title <title>', 'its title, as lab list and the handout show it')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else labs/ of this repository)')
    .action(async (n: string, slug: string, options: NewOptions) => {
      done(await newCommand(n, slug, options));
    });
}

async function newCommand(nArg: string, slug: string, options: NewOptions): Promise<number> {
  const n = parseLabNumber(nArg);
  const [{ resolveCourseRoot }, { createLab }] = await Promise.all([import('../course/labs.ts'), import('../authoring/new-lab.ts')]);
  const created = await asInput(() => createLab(resolveCourseRoot(options.course), n, slug, options.title));
  const shown = (f: string) => path.relative(process.cwd(), f) || f;
  process.stdout.write(`lab ${n}: ${shown(created.lab.dir)}, its tests looking for the kernel's first line, '${created.banner}'\n`);
  for (const f of created.files) process.stdout.write(`  wrote ${shown(f)}\n`);
  if (created.mutated === undefined) process.stdout.write(`  no mutant: '${created.banner}' is not a string literal in exactly one kernel source; write one in mutants/ (labs/README.md)\n`);
  process.stdout.write(`next: lab validate ${n}, then make the tests ask what lab ${n} teaches\n`);
  return 0;
}
