// Where a course's submissions are: one folder or archive per student (their
// repository, as an LMS export or a clone gives it), named by the student's
// id, or a list file of repositories (submission-list.ts). The batch takes
// them in byte order of their ids, so that every run, every machine and
// every shard sees the same order.

import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../course/labs.ts';
import { archiveId, isArchiveName } from './archive.ts';
import { readSubmissionList } from './submission-list.ts';

export interface FoundSubmission {
  /** The student's id: the folder's name, or the archive's without its extension, or as a list file gives it. */
  id: string;
  /** The folder, the archive (.zip, .tar, .tar.gz, .tgz) that holds it, or the git URL to clone it from. */
  path: string;
  kind: 'folder' | 'archive' | 'git';
  /** For a git repository: the commit, tag or branch to grade. */
  revision?: string;
}

export interface SubmissionList {
  found: FoundSubmission[];
  /** Entries that are not submissions, each with why, for the terminal. */
  skipped: { name: string; why: string }[];
}

/**
 * The submissions in `where`, in byte order of their ids: a folder's
 * sub-folders and archives, or the entries of a list file.
 */
export function listSubmissions(where: string): SubmissionList {
  const st = lstatSync(where, { throwIfNoEntry: false });
  if (st?.isFile() === true && !isArchiveName(where)) return unique(readSubmissionList(where), []);
  let names: string[];
  try {
    names = readdirSync(where);
  } catch {
    throw new LabError(`${where}: no such directory of submissions; give a folder holding one folder per student, or a list file of repositories`);
  }
  const found: FoundSubmission[] = [];
  const skipped: SubmissionList['skipped'] = [];
  for (const name of names.sort(byteOrder)) {
    if (name.startsWith('.')) continue;
    // A name is a gradebook cell and a folder of reports: no line breaks or escapes in either.
    if (/[\u0000-\u001f\u007f]/.test(name)) {
      skipped.push({ name: JSON.stringify(name), why: 'its name has control characters; rename the folder to the student id' });
      continue;
    }
    const full = path.join(where, name);
    // lstat: a link would let one "submission" be the reference, or another student's work.
    const st = lstatSync(full, { throwIfNoEntry: false });
    const archive = st?.isFile() === true && isArchiveName(name);
    if (st === undefined || !(st.isDirectory() || archive)) {
      skipped.push({ name, why: st?.isSymbolicLink() ? 'a symbolic link, not a folder' : 'neither a folder nor a .zip, .tar, .tar.gz or .tgz archive' });
      continue;
    }
    found.push({ id: archive ? archiveId(name) : name, path: full, kind: archive ? 'archive' : 'folder' });
  }
  return unique(found, skipped);
}

/** Keeps the submissions whose id no other has, in byte order of id; the others are skipped with why. */
function unique(found: FoundSubmission[], skipped: SubmissionList['skipped']): SubmissionList {
  // alice/ beside alice.zip: which one is alice's work is the instructor's call, not ours.
  const byId = new Map<string, FoundSubmission[]>();
  for (const f of found) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
  const unique: FoundSubmission[] = [];
  for (const [id, all] of byId) {
    if (all.length === 1) unique.push(all[0]!);
    else for (const f of all) skipped.push({ name: f.kind === 'git' ? f.path : path.basename(f.path), why: `more than one submission for ${id}; keep one` });
  }
  return { found: unique.sort((a, b) => byteOrder(a.id, b.id)), skipped };
}

/** The `index`-th of `count` slices (1-based), dealt round robin so that slices are even in size. */
export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, i) => i % shard.count === shard.index - 1);
}

export interface Shard {
  index: number;
  count: number;
}

/** `--shard I/N`: 1 <= I <= N. */
export function parseShard(text: string): Shard {
  const m = /^(\d{1,4})\/(\d{1,4})$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) {
    throw new LabError(`--shard must be I/N with 1 <= I <= N (this job's slice of N), such as 2/4, not '${text}'`);
  }
  return { index, count };
}

/** Byte order, not the locale's: the same on every machine. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
