// `lab handout N`: lab N's handout.md as one self-contained HTML page, on
// stdout or in --out FILE, for the course site or the student repository.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from './run-command.ts';
import { parseLabNumber } from './lab-options.ts';

interface HandoutCommandOptions {
  course?: string;
  out?: string;
}

export function registerHandoutCommand(program: Command, done: (status: number) => void): void {
  program
    .command('handout')
    .description('render lab N\'s handout.md as a self-contained HTML page')
    .argument('<N>', 'the lab number, as `lab list` shows it')
    .option('--course <dir>', 'the course directory (default: $LAB_COURSE, else the repository\'s labs/)')
    .option('--out <file>', 'write the page to FILE (default: stdout)')
    .action(async (n: string, options: HandoutCommandOptions) => {
      done(await handoutCommand(n, options));
    });
}

async function handoutCommand(n: string, options: HandoutCommandOptions): Promise<number> {
  parseLabNumber(n);
  const { LabError, findLab, resolveCourseRoot } = await import('../course/labs.ts');
  const { renderHandout } = await import('../authoring/handout.ts');
  let html: string;
  try {
    html = await renderHandout(findLab(resolveCourseRoot(options.course), Number(n)));
  } catch (e) {
    if (e instanceof LabError) throw new InputError(e.message);
    throw e;
  }
  if (options.out === undefined) {
    process.stdout.write(html);
    return 0;
  }
  const file = path.resolve(options.out);
  try {
    await writeFile(file, html);
  } catch (e) {
    throw new InputError(`${file}: cannot write the handout: ${(e as Error).message}`);
  }
  process.stdout.write(`handout: ${path.relative(process.cwd(), file) || file}\n`);
  return 0;
}
