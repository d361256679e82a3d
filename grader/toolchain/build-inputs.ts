// What a build reads: the files of the course that its targets can reach
// (the kernel tree, include directories, each program's source directories,
// the listed sources and linker scripts), read once, checked, and later
// staged into the sandbox. Only these files exist for the compiler.
//
// A submission graded against the instructor's course supplies only the files
// the lab lets students change (studentFiles in lab.json, by default the
// kernel's C, header and assembly files); everything else, linker scripts
// included, comes from the instructor's course, whatever the submission holds.
//
// The course's own files hold the solutions of every lab, some with the code
// as it stood before a lab (solution-regions.ts); a build of lab N reads them
// as they stand when lab N is finished. A submission's files have no
// solutions in them and are read as they are.

import { lstatSync, readdirSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { REGION_FILE_KINDS, RegionError, stageForLab } from '../course/solution-regions.ts';

/** A course-relative path (forward slashes) -> its bytes. */
export type InputFiles = Map<string, Buffer>;

/** The files a student may change when nothing else is said: the kernel's own sources, not its linker script. */
export const DEFAULT_STUDENT_FILES = ['kernel/**/*.c', 'kernel/**/*.h', 'kernel/**/*.S', 'kernel/**/*.s'];

/** A source file larger than this is refused: no kernel source is, and reading it would cost the grader's memory. */
export const MAX_INPUT_FILE_BYTES = 4 << 20;
/** All inputs of one build together. */
export const MAX_INPUT_BYTES = 64 << 20;

export interface Submission {
  /** The submission's course root: the folder holding its kernel/ tree. */
  root: string;
  /** Course-relative glob patterns (`*` within a name, `**` across folders) of the files it may supply. */
  studentFiles: readonly string[];
}

/** Why the inputs cannot be built: one line for the build log. */
export class InputProblem extends Error {}

/** The course-relative files a build needs: whole directories and single files. */
export interface InputPlan {
  dirs: string[];
  files: string[];
}

/**
 * Reads every file of `plan` from the course (and, for the student's files,
 * from the submission), refusing symbolic links, files reached through one,
 * and files too large to be sources. Names starting with a dot (editor swap
 * files, .git) are skipped. The course's sources come staged to lab `stage`.
 */
export function readInputs(courseRoot: string, plan: InputPlan, stage: number, submission?: Submission): InputFiles {
  const course = new Tree(courseRoot, 'the course');
  const student = submission && new Tree(submission.root, 'the submission');
  const isStudents = submission ? globMatcher(submission.studentFiles) : () => false;

  const names = new Set<string>();
  for (const dir of plan.dirs) {
    for (const f of course.list(dir)) names.add(f);
    if (student) for (const f of student.list(dir)) if (isStudents(f)) names.add(f);
  }
  for (const f of plan.files) names.add(f);

  const inputs: InputFiles = new Map();
  let total = 0;
  for (const name of [...names].sort()) {
    const from = student && isStudents(name) ? student : course;
    const read = from.read(name);
    if (read === undefined) continue;
    const bytes = from === course ? staged(read, stage, name) : read;
    total += bytes.length;
    if (total > MAX_INPUT_BYTES) throw new InputProblem(`the build's inputs pass ${MAX_INPUT_BYTES >> 20} MiB at ${name}; a kernel's sources are far smaller`);
    inputs.set(name, bytes);
  }
  return inputs;
}

/** A course file as lab `stage` builds it; its own bytes when staging changes nothing. */
function staged(bytes: Buffer, stage: number, name: string): Buffer {
  if (!REGION_FILE_KINDS.test(name)) return bytes;
  const text = bytes.toString('utf8');
  let out: string;
  try {
    out = stageForLab(text, stage, name);
  } catch (e) {
    if (e instanceof RegionError) throw new InputProblem(e.message);
    throw e;
  }
  return out === text ? bytes : Buffer.from(out);
}

/** One root's files, each read only where its real path is the path asked for. */
class Tree {
  private readonly real: string;

  constructor(readonly root: string, private readonly what: string) {
    try {
      this.real = realpathSync(root);
    } catch {
      throw new InputProblem(`${root}: ${what} is not there`);
    }
  }

  /** Every regular file under the course-relative `dir`, as course-relative paths; nothing when it is absent. */
  list(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      let entries;
      try {
        entries = readdirSync(path.join(this.root, rel), { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) walk(child);
        else out.push(child); // links and special files too: read() refuses them by name
      }
    };
    walk(normalize(dir));
    return out;
  }

  /** The bytes of `rel`; undefined when it is absent. */
  read(rel: string): Buffer | undefined {
    const file = path.join(this.root, rel);
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch {
      return undefined;
    }
    if (st.isSymbolicLink()) throw new InputProblem(`${rel}: a symbolic link in ${this.what}; the build takes regular files only, so copy the file in instead`);
    if (!st.isFile()) throw new InputProblem(`${rel}: not a regular file in ${this.what}; remove it`);
    // A link higher up (kernel/ itself pointing elsewhere) shows as a different real path.
    if (realpathSync(file) !== path.join(this.real, rel)) {
      throw new InputProblem(`${rel}: reached through a symbolic link in ${this.what}; the build takes files inside it only`);
    }
    if (st.size > MAX_INPUT_FILE_BYTES) throw new InputProblem(`${rel}: ${(st.size / 2 ** 20).toFixed(1)} MiB; the build takes source files of at most ${MAX_INPUT_FILE_BYTES >> 20} MiB`);
    return readFileSync(file);
  }
}

function normalize(rel: string): string {
  const n = path.posix.normalize(rel);
  return n === '.' ? '' : n.replace(/\/$/, '');
}

/** A matcher for course-relative paths: `*` is any run of characters but `/`, `**` any run of folders. */
export function globMatcher(patterns: readonly string[]): (rel: string) => boolean {
  const regexes = patterns.map((p) => {
    let re = '';
    for (let i = 0; i < p.length; i++) {
      const c = p.charAt(i);
      if (c === '*' && p[i + 1] === '*') {
        // "**/" matches no folder or any number of them.
        re += p[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += p[i + 2] === '/' ? 2 : 1;
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return new RegExp(`^${re}$`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}
