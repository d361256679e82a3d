// Where a course's submissions are: one folder per student (their repository,
// as an LMS export or a clone gives it), named by the student's id. The batch
// takes them in byte order of their names, so that every run, every machine
// and every shard sees the same order.

import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../course/labs.ts';
import { archiveId, isArchiveName } from './archive.ts';

export interface FoundSubmission {
  /** The student's id: the folder's name, or the archive's without its extension. */
  id: string;
  /** The folder, or the archive (.zip, .tar, .tar.gz, .tgz) that holds it. */
  path: string;
  archive: boolean;
}

export interface SubmissionList {
  found: FoundSubmission[];
  /** Entries that are not submissions, each with why, for the terminal. */
  skipped: { name: string; why: string }[];
}

/** The submissions in `dir`: its sub-folders and archives, in byte order of their ids. */
export function listSubmissions(dir: string): SubmissionList {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new LabError(`${dir}: no such directory of submissions; give a folder holding one folder per student`);
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
    const full = path.join(dir, name);
    // lstat: a link would let one "submission" be the reference, or another student's work.
    const st = lstatSync(full, { throwIfNoEntry: false });
    const archive = st?.isFile() === true && isArchiveName(name);
    if (st === undefined || !(st.isDirectory() || archive)) {
      skipped.push({ name, why: st?.isSymbolicLink() ? 'a symbolic link, not a folder' : 'neither a folder nor a .zip, .tar, .tar.gz or .tgz archive' });
      continue;
    }
    found.push({ id: archive ? archiveId(name) : name, path: full, archive });
  }
  // alice/ beside alice.zip: which one is alice's work is the instructor's call, not ours.
  const byId = new Map<string, FoundSubmission[]>();
  for (const f of found) byId.set(f.id, [...(byId.get(f.id) ?? []), f]);
  const unique: FoundSubmission[] = [];
  for (const [id, all] of byId) {
    if (all.length === 1) unique.push(all[0]!);
    else for (const f of all) skipped.push({ name: path.basename(f.path), why: `more than one submission for ${id}; keep one` });
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
