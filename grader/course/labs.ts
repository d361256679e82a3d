// The course on disk: where it is, which labs it has, and each lab's manifest
// checked field by field. An instructor's typo in lab.json should cost them one
// line naming the file and the fix, never a stack trace or a confusing failure
// three steps later in a build or a test run.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RAM_MIB } from '../../engine/ram-limits.ts';
import { MAX_TEST_INSTRUCTIONS, type LabManifest } from '../model.ts';

/** The repository root (grader/ sits directly under it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_COURSE_ROOT = path.join(REPO_ROOT, 'labs');

/** A problem with the course or the command's input; its message is one line, meant for people. */
export class LabError extends Error {
  override name = 'LabError';
}

/** A lab folder with its manifest; every path is absolute. */
export interface Lab {
  manifest: LabManifest;
  dir: string;
  manifestFile: string;
  /** The course's kernel source tree (shared by every lab). */
  kernelDir: string;
  /** Public test specs. */
  testsDir: string;
  hiddenDir?: string;
  mutantsDir?: string;
  programsDir?: string;
  handout?: string;
}

/** Lab folders are named like 03-usermode: two digits, a dash, a lower-case slug. */
export const LAB_FOLDER = /^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$/;
/** Program names become file names and module names in test specs. */
const PROGRAM_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** The course root: --course, else $LAB_COURSE, else the repository's labs/. */
export function resolveCourseRoot(option?: string): string {
  const chosen = option ?? (process.env.LAB_COURSE || undefined);
  const root = path.resolve(chosen ?? DEFAULT_COURSE_ROOT);
  const how = option !== undefined ? '--course' : chosen !== undefined ? 'LAB_COURSE' : 'the default course';
  if (!existsSync(root)) throw new LabError(`course directory ${root} (from ${how}) does not exist; pass --course DIR or set LAB_COURSE`);
  if (!statSync(root).isDirectory()) throw new LabError(`course directory ${root} (from ${how}) is not a directory`);
  return root;
}

/** Every lab of the course, in number order, each manifest loaded and checked. */
export function listLabs(courseRoot: string): Lab[] {
  return labFolders(courseRoot).map(({ folder }) => loadLab(courseRoot, folder));
}

/** Lab `n` of the course; a number the course lacks is a LabError that lists the ones it has. */
export function findLab(courseRoot: string, n: number): Lab {
  const folders = labFolders(courseRoot);
  const found = folders.find((f) => f.number === n);
  if (!found) {
    const have = folders.length === 0 ? 'it has no labs (folders named NN-slug with a lab.json)' : `it has ${folders.map((f) => f.number).join(', ')}`;
    throw new LabError(`no lab ${n} in ${courseRoot}: ${have}`);
  }
  return loadLab(courseRoot, found.folder);
}

function labFolders(courseRoot: string): { number: number; folder: string }[] {
  let entries;
  try {
    entries = readdirSync(courseRoot, { withFileTypes: true });
  } catch (e) {
    throw new LabError(`cannot read course directory ${courseRoot}: ${(e as Error).message}`);
  }
  const labs: { number: number; folder: string }[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^\d+-/.test(entry.name)) continue;
    const m = LAB_FOLDER.exec(entry.name);
    if (!m) {
      throw new LabError(
        `${path.join(courseRoot, entry.name)}: lab folders are named NN-slug (two digits, a dash, lower-case letters, digits and dashes), e.g. 03-usermode; rename it`,
      );
    }
    const number = Number(m[1]);
    const twin = labs.find((l) => l.number === number);
    if (twin) throw new LabError(`${courseRoot}: ${twin.folder} and ${entry.name} are both lab ${number}; renumber one`);
    labs.push({ number, folder: entry.name });
  }
  return labs.sort((a, b) => a.number - b.number);
}

function loadLab(courseRoot: string, folder: string): Lab {
  const dir = path.join(courseRoot, folder);
  const manifestFile = path.join(dir, 'lab.json');
  const m = LAB_FOLDER.exec(folder)!;
  const manifest = parseManifest(readManifest(manifestFile), manifestFile, Number(m[1]), folder);
  const optionalDir = (name: string) => (isDirectory(path.join(dir, name)) ? path.join(dir, name) : undefined);
  const handout = path.join(dir, 'handout.md');
  return {
    manifest,
    dir,
    manifestFile,
    kernelDir: path.join(courseRoot, 'kernel'),
    testsDir: path.join(dir, 'tests'),
    hiddenDir: optionalDir('hidden'),
    mutantsDir: optionalDir('mutants'),
    programsDir: optionalDir('programs'),
    handout: existsSync(handout) ? handout : undefined,
  };
}

function isDirectory(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}

function readManifest(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LabError(`${file}: missing; every lab folder needs a lab.json manifest (title, ramMiB, budgets, kernel, programs, starterScore)`);
    throw new LabError(`${file}: cannot read it: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new LabError(`${file}: ${describeJsonError(text, e as Error)}`);
  }
}

/** "line 4, column 12: ..." from JSON.parse's message, which gives an offset (Node 20) or a line and column (Node 22). */
function describeJsonError(text: string, error: Error): string {
  const message = error.message.replace(/^JSON\.parse: /, '');
  if (/line \d+ column \d+/.test(message)) return `not valid JSON: ${message}`;
  const at = /at position (\d+)/.exec(message);
  const truncated = /end of JSON input/.test(message);
  if (!at && !truncated) return `not valid JSON: ${message}`;
  const offset = at ? Number(at[1]) : text.trimEnd().length;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const what = truncated ? 'the file ends before the JSON does (a missing } or ]?)' : message.replace(/ in JSON at position \d+.*$/, '').replace(/ at position \d+.*$/, '');
  return `not valid JSON at line ${line}, column ${column}: ${what}`;
}

const REQUIRED_FIELDS = ['title', 'ramMiB', 'maxInstructions', 'maxOutputBytes', 'kernel', 'programs', 'starterScore'] as const;
const OPTIONAL_FIELDS = ['points', 'studentFiles'] as const;

/** Checks a parsed lab.json against LabManifest; number and slug come from the folder name. */
export function parseManifest(raw: unknown, file: string, number: number, slug: string): LabManifest {
  const fail = (field: string, what: string): never => {
    throw new LabError(`${file}: ${field} ${what}`);
  };
  if (!isObject(raw)) throw new LabError(`${file}: the manifest must be a JSON object ({ "title": ..., ... })`);
  for (const key of Object.keys(raw)) {
    if (key === 'number' || key === 'slug') fail(`"${key}"`, 'comes from the folder name (NN-slug); remove it');
    if (!(REQUIRED_FIELDS as readonly string[]).includes(key) && !(OPTIONAL_FIELDS as readonly string[]).includes(key)) {
      fail(`"${key}"`, `is not a manifest field; the fields are ${[...REQUIRED_FIELDS, ...OPTIONAL_FIELDS].join(', ')}`);
    }
  }
  for (const key of REQUIRED_FIELDS) if (!(key in raw)) fail(`"${key}"`, 'is missing; add it');

  const title = raw.title;
  if (typeof title !== 'string' || title.trim() === '') fail('"title"', `must be a non-empty string, not ${show(title)}`);
  const ramMiB = wholeNumber(raw.ramMiB, '"ramMiB"', RAM_MIB.min, RAM_MIB.max, fail);
  const maxInstructions = wholeNumber(raw.maxInstructions, '"maxInstructions"', 1, MAX_TEST_INSTRUCTIONS, fail);
  const maxOutputBytes = wholeNumber(raw.maxOutputBytes, '"maxOutputBytes"', 1, Number.MAX_SAFE_INTEGER, fail);
  const starterScore = score(raw.starterScore, '"starterScore"', fail);
  const points = raw.points === undefined ? undefined : score(raw.points, '"points"', fail);
  if (points !== undefined && starterScore > points) fail('"starterScore"', `(${starterScore}) is more than "points" (${points})`);

  const kernelRaw = raw.kernel;
  if (!isObject(kernelRaw)) fail('"kernel"', `must be an object { "sources": [...], "linkerScript": "..." }, not ${show(kernelRaw)}`);
  const k = kernelRaw as Record<string, unknown>;
  for (const key of Object.keys(k)) {
    if (!['sources', 'linkerScript', 'includeDirs'].includes(key)) fail(`"kernel.${key}"`, 'is not a kernel field; the fields are sources, linkerScript, includeDirs');
  }
  const kernel: LabManifest['kernel'] = {
    sources: pathList(k.sources, '"kernel.sources"', true, fail),
    linkerScript: relativePath(k.linkerScript, '"kernel.linkerScript"', fail),
  };
  if (k.includeDirs !== undefined) kernel.includeDirs = pathList(k.includeDirs, '"kernel.includeDirs"', false, fail);

  const programsRaw = raw.programs;
  if (!isObject(programsRaw)) fail('"programs"', `must be an object of name -> { "sources": [...] } ({} for none), not ${show(programsRaw)}`);
  const programs: LabManifest['programs'] = {};
  for (const [name, spec] of Object.entries(programsRaw as Record<string, unknown>)) {
    const field = `"programs.${name}"`;
    if (!PROGRAM_NAME.test(name)) fail(field, 'is not a usable program name: use lower-case letters, digits, - and _');
    if (!isObject(spec)) fail(field, `must be an object { "sources": [...], "linkerScript": "..." }, not ${show(spec)}`);
    const s = spec as Record<string, unknown>;
    for (const key of Object.keys(s)) {
      if (!['sources', 'linkerScript'].includes(key)) fail(`"programs.${name}.${key}"`, 'is not a program field; the fields are sources, linkerScript');
    }
    programs[name] = { sources: pathList(s.sources, `"programs.${name}.sources"`, true, fail) };
    if (s.linkerScript !== undefined) programs[name].linkerScript = relativePath(s.linkerScript, `"programs.${name}.linkerScript"`, fail);
  }

  const manifest: LabManifest = { number, slug, title: (title as string).trim(), ramMiB, maxInstructions, maxOutputBytes, kernel, programs, starterScore };
  if (points !== undefined) manifest.points = points;
  if (raw.studentFiles !== undefined) manifest.studentFiles = pathList(raw.studentFiles, '"studentFiles"', true, fail);
  return manifest;
}

type Fail = (field: string, what: string) => never;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function wholeNumber(v: unknown, field: string, min: number, max: number, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    return fail(field, `must be a whole number ${range}, not ${show(v)}`);
  }
  return v;
}

function score(v: unknown, field: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return fail(field, `must be a number of points, 0 or more, not ${show(v)}`);
  return v;
}

/**
 * Manifest paths are relative (to the kernel tree or the lab folder) and use
 * forward slashes, so a course checks out the same on every machine. They may
 * climb with .. (a shared user linker script in the kernel tree) but the build
 * checks they stay inside the course.
 */
function relativePath(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v === '') return fail(field, `must be a relative path (a string), not ${show(v)}`);
  if (path.isAbsolute(v) || v.includes('\\')) return fail(field, `must be a relative path with forward slashes, not ${show(v)}`);
  // A compiler reads "-x" as an option and "@file" as a file of more options.
  if (v.split('/').some((part) => part.startsWith('-') || part.startsWith('@'))) return fail(field, `must not have a name starting with - or @, not ${show(v)}`);
  return v;
}

function pathList(v: unknown, field: string, nonEmpty: boolean, fail: Fail): string[] {
  if (!Array.isArray(v)) return fail(field, `must be an array of relative paths, not ${show(v)}`);
  if (nonEmpty && v.length === 0) return fail(field, 'must name at least one file');
  return v.map((item, i) => relativePath(item, `${field.slice(0, -1)}[${i}]"`, fail));
}
