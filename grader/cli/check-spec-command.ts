// `lab check-spec N` (every spec of lab N, hidden ones included) or
// `lab check-spec FILE...`: an instructor's mistakes in test specs, one line
// each with the file and line. Exit status: 0 no errors (warnings allowed),
// 1 some error, 2 bad input.

import path from 'node:path';
import type { Command } from 'commander';
import { asInput, parseLabNumber } from './lab-options.ts';

interface CheckSpecOptions {
  course?: string;
  hidden?: string;
}

export function registerCheckSpecCommand(program: Command, done: (status: number) => void): void {
  program
    .command('check-spec')
    .description("find the mistakes instructors make in test specs: a module the lab does not build, a check that reads nothing or passes a run that did nothing, points that do not add up")
    .argument('<lab-or-files...>', 'a lab number (all its specs, hidden ones too), or spec files')
    .option('--course <dir>', 'the course directory, with a lab number (default: $LAB_COURSE, else labs/ of this repository)')
    .option('--hidden <dir>', "with a lab number: the hidden tests (default: $LAB_HIDDEN, else the lab's hidden/ folder)")
    .action(async (targets: string[], options: CheckSpecOptions) => {
      done(await checkSpecCommand(targets, options));
    });
}

async function checkSpecCommand(targets: string[], options: CheckSpecOptions): Promise<number> {
  const [{ findLab, resolveCourseRoot }, { checkSpecs, labOfSpecFile }, { publicSpecFiles }, { hiddenDir, loadHiddenSpecs }] = await Promise.all([
    import('../course/labs.ts'), import('../authoring/check-spec.ts'), import('../grade.ts'), import('../course/hidden.ts'),
  ]);
  const groups: { lab: import('../course/labs.ts').Lab; files: { file: string; hidden: boolean }[]; wholeLab: boolean }[] = [];
  const [first] = targets;
  if (targets.length === 1 && first !== undefined && /^\d{1,2}$/.test(first)) {
    const lab = await asInput(() => findLab(resolveCourseRoot(options.course), parseLabNumber(first)));
    const files = (await publicSpecFiles(lab)).map((f) => ({ file: f.specFile, hidden: false }));
    const hidden = hiddenDir(options.hidden) ?? lab.hiddenDir;
    if (hidden !== undefined) files.push(...(await asInput(() => loadHiddenSpecs(hidden))).map((f) => ({ file: f.specFile, hidden: true })));
    groups.push({ lab, files, wholeLab: true });
  } else {
    for (const target of targets) {
      const lab = await asInput(() => labOfSpecFile(target, findLab));
      groups.push({ lab, files: [{ file: path.resolve(target), hidden: false }], wholeLab: false });
    }
  }
  let errors = 0;
  let warnings = 0;
  let checked = 0;
  for (const group of groups) {
    checked += group.files.length;
    for (const p of await checkSpecs(group.lab, group.files, { wholeLab: group.wholeLab })) {
      if (p.severity === 'error') errors++;
      else warnings++;
      const where = `${path.relative(process.cwd(), p.file) || p.file}${p.line !== undefined ? `:${p.line}` : ''}`;
      process.stdout.write(`${where}: ${p.severity}: ${p.message}\n`);
    }
  }
  process.stdout.write(`${checked} spec file${checked === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
  return errors > 0 ? 1 : 0;
}
