// The course's kernel tree as a student who finished a lab has it: every
// file staged to that lab (solutions up to it, the code before each later
// lab's region), which is what a correct submission of the lab looks like.
// The raw tree is not one: its regions carry later labs' code beside the
// code it replaces, and a submission's files are built as they are.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageForLab } from '../../grader/course/solution-regions.ts';

const KERNEL = fileURLToPath(new URL('../../labs/kernel', import.meta.url));

/** Writes labs/kernel staged to lab `stage` into `dest` (created). */
export function writeStagedKernel(stage: number, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const name of readdirSync(KERNEL)) {
    writeFileSync(join(dest, name), stageForLab(readFileSync(join(KERNEL, name), 'utf8'), stage, name));
  }
}
