// The cache of single build steps: one compiled object or one linked ELF per
// entry, so that an edit to one kernel file recompiles that file and relinks
// the kernel, and nothing else. A step is found in two stages, as ccache's
// direct mode does: its base key (compiler, flags, the source or the objects,
// and the names of every input file, so that a new header that could shadow
// another changes it) leads to the list of input files the step read last
// time (from the compiler's or linker's dependency output); the base key and
// the current bytes of those files make the full key of the output.
//
// Entries are written to a temporary name and renamed into place, and keys
// are made of content only, so graders running side by side, or grading
// different students, can share one cache.

import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InputFiles } from './build-inputs.ts';

/** Entries kept; the least recently used beyond this are removed after a build. */
const KEEP_ENTRIES = 6000;

export interface CachedStep {
  /** The cached output (an object or an ELF). */
  file: string;
  /** What the tool said when it made it (warnings). */
  log: string;
  /** The full key: what a later step that consumes this output keys on. */
  key: string;
}

export function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${part.length}\0`);
    hash.update(part);
  }
  return hash.digest('hex').slice(0, 32);
}

/** Each input's sha256, by course-relative name: computed once per build, for the build key and every step key. */
export type InputHashes = ReadonlyMap<string, string>;

export function hashInputs(inputs: InputFiles): InputHashes {
  return new Map([...inputs].map(([name, bytes]) => [name, sha256(bytes)]));
}

export class StepCache {
  private readonly namesKey: string;

  constructor(private readonly dir: string, private readonly hashes: InputHashes) {
    this.namesKey = sha256([...hashes.keys()].join('\n'));
  }

  /** A step's base key: what it runs and on what, plus the names of all inputs. */
  baseKey(...parts: string[]): string {
    return sha256(this.namesKey, ...parts);
  }

  /** The step's earlier output, if the files it read then still hold the same bytes. */
  async lookup(baseKey: string): Promise<CachedStep | undefined> {
    let deps: string[];
    try {
      deps = (JSON.parse(await readFile(this.depsFile(baseKey), 'utf8')) as { deps: string[] }).deps;
    } catch {
      return undefined;
    }
    const key = this.fullKey(baseKey, deps);
    const file = this.outFile(key);
    try {
      const log = await readFile(`${file}.log`, 'utf8');
      await stat(file);
      // Touched so that pruning keeps what is in use.
      const now = new Date();
      await utimes(file, now, now).catch(() => {});
      return { file, log, key };
    } catch {
      return undefined;
    }
  }

  /**
   * Keeps `made` (a step's output) under its full key, with the log and the
   * inputs it read (course-relative paths; others, such as system headers,
   * are the toolchain's and in the base key already).
   */
  async store(baseKey: string, readFiles: string[], made: string, log: string): Promise<CachedStep> {
    const deps = [...new Set(readFiles.filter((f) => this.hashes.has(f)))].sort();
    const key = this.fullKey(baseKey, deps);
    const file = this.outFile(key);
    await mkdir(path.dirname(file), { recursive: true });
    await mkdir(path.dirname(this.depsFile(baseKey)), { recursive: true });
    const temp = `.${randomBytes(6).toString('hex')}.tmp`;
    await copyFile(made, file + temp);
    await writeFile(`${file}.log${temp}`, log);
    await writeFile(this.depsFile(baseKey) + temp, JSON.stringify({ deps }));
    // The output and its log first: a deps list never names an output that is not there.
    await rename(`${file}.log${temp}`, `${file}.log`);
    await rename(file + temp, file);
    await rename(this.depsFile(baseKey) + temp, this.depsFile(baseKey));
    return { file, log, key };
  }

  /** Removes the least recently used entries beyond KEEP_ENTRIES. */
  async prune(): Promise<void> {
    const outDir = path.join(this.dir, 'out');
    let names: string[];
    try {
      names = (await readdir(outDir)).filter((n) => !n.includes('.'));
    } catch {
      return;
    }
    if (names.length <= KEEP_ENTRIES) return;
    const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(path.join(outDir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.t - a.t);
    for (const { n } of aged.slice(KEEP_ENTRIES)) {
      await rm(path.join(outDir, n), { force: true });
      await rm(path.join(outDir, `${n}.log`), { force: true });
    }
  }

  private fullKey(baseKey: string, deps: string[]): string {
    return sha256(baseKey, ...deps.flatMap((d) => [d, this.hashes.get(d) ?? 'absent']));
  }

  private depsFile(baseKey: string): string {
    return path.join(this.dir, 'deps', `${baseKey}.json`);
  }

  private outFile(key: string): string {
    return path.join(this.dir, 'out', key);
  }
}

/**
 * The files a make-style dependency file names (what `-MD` and ld's
 * `--dependency-file` write): every path after a target's colon, continuation
 * lines joined, escaped spaces kept.
 */
export function parseDependencies(text: string): string[] {
  const files: string[] = [];
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split('\n')) {
    const colon = line.search(/:(\s|$)/);
    if (colon < 0) continue;
    const rest = line.slice(colon + 1).replace(/\\ /g, '\0');
    for (const word of rest.split(/\s+/)) if (word !== '') files.push(word.replaceAll('\0', ' '));
  }
  return files;
}
