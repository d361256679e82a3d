// What git tracks is source: no built code (an ELF by its first bytes, or an
// object, executable or archive by its name) and nothing under a build or
// cache directory. A built lab 3 reference kernel once sat in grader/build/,
// tracked, and went out to students with every release; this keeps the next
// one out of the repository. The files are read from the index (what the next
// commit holds), not from the working tree.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missing, skipBecause } from './host-tools.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/**
 * Tracked files that may break the rule, each with the reason. Only fixtures
 * made for the purpose belong here (say, an ELF for a loader test that cannot
 * be built in the test run); there are none today.
 */
const EXCEPTIONS: Record<string, string> = {};

const BUILT_NAME = /\.(o|elf|a)$/;
/** Directories tools write into (see .gitignore). */
const OUTPUT_DIR = /^(build|cache|\.cache)$/;

function git(args: string[], input?: Buffer) {
  return spawnSync('git', args, { cwd: REPO, input, maxBuffer: 1 << 30 });
}

/** Each tracked file with its blob in the index. */
function trackedBlobs(): { path: string; blob: string }[] {
  const staged = git(['ls-files', '--stage', '-z']).stdout.toString('utf8');
  return staged
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      // "<mode> <object> <stage>\t<path>"
      const tab = line.indexOf('\t');
      const [mode, blob] = line.slice(0, tab).split(' ');
      return { mode, path: line.slice(tab + 1), blob: blob ?? '' };
    })
    .filter((f) => f.mode !== '160000'); // a submodule has no bytes here to read
}

/** The first four bytes of each blob, read in one `git cat-file --batch`. */
function blobHeads(blobs: string[]): Map<string, Buffer> {
  const out = git(['cat-file', '--batch'], Buffer.from(blobs.map((b) => `${b}\n`).join(''))).stdout;
  const heads = new Map<string, Buffer>();
  let at = 0;
  while (at < out.length) {
    const newline = out.indexOf(0x0a, at);
    const [blob, , size] = out.subarray(at, newline).toString('utf8').split(' ');
    const length = Number(size);
    heads.set(blob ?? '', out.subarray(newline + 1, newline + 1 + Math.min(4, length)));
    at = newline + 1 + length + 1; // the content, then a newline
  }
  return heads;
}

const probe = git(['rev-parse', '--is-inside-work-tree']);
const inGit = probe.status === 0 && probe.stdout.toString().trim() === 'true';

describe('the repository', skipBecause(missing('git') ?? (inGit ? undefined : 'this is not a git checkout')), () => {
  it('tracks no built code and nothing under a build or cache directory', () => {
    const files = trackedBlobs();
    expect(files.length).toBeGreaterThan(0);
    const heads = blobHeads(files.map((f) => f.blob));
    const problems: string[] = [];
    for (const { path, blob } of files) {
      if (path in EXCEPTIONS) continue;
      const dirs = path.split('/').slice(0, -1);
      if (BUILT_NAME.test(path)) problems.push(`${path}: an object, executable or archive by its name`);
      if (heads.get(blob)?.equals(Buffer.from('\x7fELF', 'latin1'))) problems.push(`${path}: an ELF file`);
      const output = dirs.find((d) => OUTPUT_DIR.test(d));
      if (output !== undefined) problems.push(`${path}: under a ${output}/ directory`);
      // A worktree's link to another checkout's packages: on a fresh clone it points nowhere, and npm ci fails.
      if (path.split('/').includes('node_modules')) problems.push(`${path}: installed packages, or a link to them`);
    }
    expect(problems, 'build outputs are made in the test run, never tracked: git rm --cached them').toEqual([]);
  });

  it('lists only tracked files as exceptions', () => {
    const tracked = new Set(trackedBlobs().map((f) => f.path));
    expect(Object.keys(EXCEPTIONS).filter((p) => !tracked.has(p))).toEqual([]);
  });
});
