// What decides a graded result, hashed: the ringlab that graded it (engine,
// grader and templates), the course's tests and manifests and the hidden
// tests, and the kernel and programs the submission built to. Grading is
// deterministic, so the same key is the same result, and `--regrade` can keep
// every row whose key has not changed. The test side is hashed whole (every
// script and manifest of the course), not per spec file: a spec may import
// any helper of the course, and a key that missed one would keep a stale grade.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../course/labs.ts';
import type { TestInputs } from '../run/run-test.ts';
import { sha256 } from '../toolchain/step-cache.ts';

const TOOL_DIRS = ['engine', 'grader', 'templates'];
const TOOL_FILES = /\.(ts|mts|js|mjs|hbs)$/;
const TEST_FILES = /\.(ts|mts|js|mjs|json)$/;

/** Every file under `dir` whose name matches, as sorted relative paths with their hashes. */
function treeHash(dir: string, names: RegExp): string {
  const parts: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'build') continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile() && names.test(entry.name)) parts.push(child, sha256(readFileSync(path.join(dir, child))));
    }
  };
  walk('');
  return sha256(parts.join('\n'));
}

let toolHash: string | undefined;

/** The ringlab doing the grading: its engine, grader and templates, and the locked dependencies. */
function ringlabHash(): string {
  toolHash ??= sha256(
    ...TOOL_DIRS.map((d) => treeHash(path.join(REPO_ROOT, d), TOOL_FILES)),
    readFileSync(path.join(REPO_ROOT, 'package-lock.json')),
  );
  return toolHash;
}

/** The tests a batch grades with: every script and manifest of the course, and the hidden tests. */
export function testsHash(courseRoot: string, hiddenDir?: string): string {
  return sha256(treeHash(courseRoot, TEST_FILES), hiddenDir === undefined ? '' : treeHash(hiddenDir, TEST_FILES));
}

/** The key of one submission's grading, from what it built to. */
export function gradingKey(tests: string, built: TestInputs): string {
  const programs = Object.keys(built.programs).sort().flatMap((name) => [name, sha256(built.programs[name]!)]);
  return sha256(ringlabHash(), tests, sha256(built.kernel), ...programs, JSON.stringify(built.defaults));
}
