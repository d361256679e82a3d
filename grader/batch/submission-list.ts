// A list file of submissions, for courses whose students hand in a
// repository rather than an archive (GitHub Classroom, a department's git
// server): one submission a line,
//
//   [ID] SOURCE [REVISION]
//
// SOURCE is a git URL (https://, ssh://, git://, file://, or user@host:path)
// or a path, relative to the list file, to a folder or an archive as a
// directory of submissions holds them. REVISION (a commit, tag or branch)
// says what to grade in a repository; the deadline's commit, typically. With
// no ID, the student's id is the repository's name. Blank lines and lines
// starting with # are skipped.

import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../course/labs.ts';
import { archiveId, isArchiveName } from './archive.ts';
import type { FoundSubmission } from './submissions.ts';

/** A URL git clones from; ext:: and fd:: (which run commands) are not among them. */
const GIT_URL = /^(?:(?:https?|ssh|git|file):\/\/|[\w.-]+@[\w.-]+:)/;
/** What a student id and a revision may hold: a gradebook cell and a folder of reports, a ref name. */
const ID = /^[\w.@+-]+$/;
const REVISION = /^[\w./@{}^~-]+$/;

/** The submissions `file` lists, in its order; an unreadable or malformed line is an error naming it. */
export function readSubmissionList(file: string): FoundSubmission[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new LabError(`${file}: cannot read the list of submissions`);
  }
  const found: FoundSubmission[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `${file}:${i + 1}`;
    found.push(parseLine(line.split(/\s+/), path.dirname(file), where));
  }
  return found;
}

function parseLine(words: string[], base: string, where: string): FoundSubmission {
  const usage = 'each line is [ID] SOURCE [REVISION], SOURCE a git URL or a folder or archive';
  const runs = words.find((w) => /^(?:ext|fd)::/.test(w));
  if (runs !== undefined) throw new LabError(`${where}: ${runs.split('::')[0]}:: sources run commands; give a git URL`);
  // The source is the first word that looks like one: an id never has a slash or a colon.
  const at = words.findIndex((w) => GIT_URL.test(w) || w.includes('/') || isArchiveName(w));
  if (at < 0 || at > 1 || words.length - at > 2) throw new LabError(`${where}: ${usage}`);
  const source = words[at]!;
  const revision = words[at + 1];
  if (revision !== undefined && !REVISION.test(revision)) throw new LabError(`${where}: '${revision}' is not a revision (a commit, tag or branch)`);
  if (GIT_URL.test(source)) {
    const id = at === 1 ? words[0]! : repositoryName(source);
    checkId(id, where);
    return { id, path: source, kind: 'git', revision: revision ?? 'HEAD' };
  }
  if (revision !== undefined) throw new LabError(`${where}: a revision is for a git URL; give file://${path.resolve(base, source)} to grade a commit of a local repository`);
  const full = path.resolve(base, source);
  const st = lstatSync(full, { throwIfNoEntry: false });
  const archive = st?.isFile() === true && isArchiveName(source);
  if (!(st?.isDirectory() === true || archive)) throw new LabError(`${where}: ${full} is neither a folder nor a .zip, .tar, .tar.gz or .tgz archive`);
  const id = at === 1 ? words[0]! : archive ? archiveId(path.basename(source)) : path.basename(full);
  checkId(id, where);
  return { id, path: full, kind: archive ? 'archive' : 'folder' };
}

/** "https://github.com/course/lab3-alice.git" -> "lab3-alice". */
function repositoryName(url: string): string {
  return url.replace(/\/+$/, '').split(/[/:]/).at(-1)!.replace(/\.git$/, '');
}

function checkId(id: string, where: string): void {
  if (!ID.test(id)) throw new LabError(`${where}: '${id}' cannot be a student id (letters, digits and . _ - + @ only); put the id first on the line`);
}
