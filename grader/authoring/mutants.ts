// Mutants: deliberately wrong kernels, each a few text edits of the reference,
// with the tests that must catch it. `lab validate` builds every mutant and
// checks that those tests lose points; a mutant that slips through means the
// tests do not test what the instructor thinks they do.
//
// A mutant is NN-slug/mutants/<name>.json:
//   { "description": "putc never writes the data register",
//     "mustFail": ["banner/prints its banner on COM1"],
//     "edits": [{ "file": "kernel/kmain.c", "find": "outb(COM1, c);", "replace": "" }] }
// Edit paths are relative to the course root, so one mutant can touch the
// kernel tree and the lab's user programs alike. Test ids are as the grader
// names them: <spec file without extension>/<test name>, hidden/<file>/<name>.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError, type Lab } from '../course/labs.ts';
import { REGION_FILE_KINDS, RegionError, stageForLab } from '../course/solution-regions.ts';
import { firstLine, messageOf } from '../messages.ts';

/** A malformed mutant file or an edit that does not apply; one line naming the file. */
export class MutantError extends LabError {
  override name = 'MutantError';
}

export interface MutantEdit {
  /** Relative to the course root, forward slashes: "kernel/kmain.c". */
  file: string;
  /** Text that occurs exactly once in the file (after the edits before it). */
  find: string;
  replace: string;
}

export interface Mutant {
  /** The file name without .json. */
  name: string;
  /** The mutant's file (absolute), for messages. */
  file: string;
  description: string;
  mustFail: string[];
  edits: MutantEdit[];
}

/** A lab's mutants in name order (none when it has no mutants/ folder), each checked. */
export function loadMutants(lab: Lab): Mutant[] {
  if (lab.mutantsDir === undefined) return [];
  return readdirSync(lab.mutantsDir)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .sort()
    .map((n) => parseMutant(readJson(path.join(lab.mutantsDir!, n)), path.join(lab.mutantsDir!, n)));
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MutantError(`${file}: cannot read it: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MutantError(`${file}: not valid JSON: ${firstLine(messageOf(e))}`);
  }
}

const FIELDS = ['description', 'mustFail', 'edits'];

export function parseMutant(raw: unknown, file: string): Mutant {
  const fail = (what: string): never => {
    throw new MutantError(`${file}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('a mutant is a JSON object { "description", "mustFail", "edits" }');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!FIELDS.includes(key)) fail(`"${key}" is not a mutant field; the fields are ${FIELDS.join(', ')}`);
  if (typeof r.description !== 'string' || r.description.trim() === '') fail('"description" must say in a few words what is wrong with this kernel');
  if (!Array.isArray(r.mustFail) || r.mustFail.length === 0 || !r.mustFail.every((t) => typeof t === 'string' && t !== '')) {
    fail('"mustFail" must list at least one test id, e.g. ["banner/prints its banner on COM1"]; a mutant no test must catch proves nothing');
  }
  if (!Array.isArray(r.edits) || r.edits.length === 0) fail('"edits" must list at least one edit { "file", "find", "replace" }');
  const edits = (r.edits as unknown[]).map((e, i): MutantEdit => {
    const at = `"edits[${i}]"`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail(`${at} must be an object { "file", "find", "replace" }`);
    const edit = e as Record<string, unknown>;
    for (const key of Object.keys(edit)) if (!['file', 'find', 'replace'].includes(key)) fail(`${at}: "${key}" is not an edit field; the fields are file, find, replace`);
    if (typeof edit.file !== 'string' || edit.file === '' || path.isAbsolute(edit.file) || edit.file.includes('\\')) {
      fail(`${at}.file must be a path relative to the course root with forward slashes, e.g. "kernel/kmain.c"`);
    }
    if (typeof edit.find !== 'string' || edit.find === '') fail(`${at}.find must be the exact text to replace (non-empty)`);
    if (typeof edit.replace !== 'string') fail(`${at}.replace must be a string ("" deletes the found text)`);
    return { file: edit.file as string, find: edit.find as string, replace: edit.replace as string };
  });
  return {
    name: path.basename(file, '.json'),
    file,
    description: (r.description as string).trim(),
    mustFail: [...(r.mustFail as string[])],
    edits,
  };
}

/**
 * Copies the course at `courseRoot` to `dest` (which must not exist) and
 * applies the mutant's edits there; the course itself is never touched. An
 * edit patches its file as lab `stage` builds it (solution-regions.ts), so it
 * finds the code that lab's reference runs, whatever other labs' versions of
 * it the course also holds.
 * Tests, hidden tests, mutants and manifests cannot be edited: a mutant is a
 * wrong kernel, not a wrong test.
 */
export async function applyMutant(courseRoot: string, mutant: Mutant, dest: string, stage: number): Promise<string> {
  const root = path.resolve(courseRoot);
  const target = path.resolve(dest);
  if (existsSync(target)) throw new MutantError(`${target}: already exists; a mutated course is written to a new directory`);
  await copyCourse(root, target);
  for (const [i, edit] of mutant.edits.entries()) {
    const at = `${mutant.file}: "edits[${i}]"`;
    const file = path.resolve(target, edit.file);
    if (!file.startsWith(target + path.sep)) throw new MutantError(`${at}: ${edit.file} leads outside the course; edit files in kernel/ or a lab folder`);
    const [top = '', inside = ''] = edit.file.split('/');
    if (/^\d{2}-/.test(top) && (['tests', 'hidden', 'mutants'].includes(inside) || inside === 'lab.json')) {
      throw new MutantError(`${at}: ${edit.file} is a test or a manifest; a mutant changes the kernel or the user programs, not what grades them`);
    }
    if (!existsSync(file) || !statSync(file).isFile()) throw new MutantError(`${at}: ${edit.file} is not a file of the course ${root}`);
    const text = await stagedText(file, edit.file, stage);
    const count = occurrences(text, edit.find);
    if (count !== 1) {
      const why = count === 0 ? 'does not occur' : `occurs ${count} times`;
      throw new MutantError(`${at}: the "find" text ${why} in ${edit.file} as lab ${stage} builds it (it must occur exactly once); quote more of the surrounding code`);
    }
    const index = text.indexOf(edit.find);
    await writeFile(file, text.slice(0, index) + edit.replace + text.slice(index + edit.find.length));
  }
  return target;
}

/** A copy of the course to change and build; dot-files (.git, editor swap files) are not part of what gets built. */
export async function copyCourse(root: string, target: string): Promise<void> {
  await cp(root, target, { recursive: true, filter: (src) => !path.basename(src).startsWith('.') || src === root });
}

/** A course file as lab `stage` builds it; the build reads staged text as it is. */
async function stagedText(file: string, rel: string, stage: number): Promise<string> {
  const text = await readFile(file, 'utf8');
  if (!REGION_FILE_KINDS.test(rel)) return text;
  try {
    return stageForLab(text, stage, rel);
  } catch (e) {
    if (e instanceof RegionError) throw new MutantError(e.message);
    throw e;
  }
}

function occurrences(text: string, find: string): number {
  let count = 0;
  for (let i = text.indexOf(find); i !== -1; i = text.indexOf(find, i + 1)) count++;
  return count;
}
