// Choosing tests by name: `lab grade N --test PATTERN` runs the tests a
// pattern matches, `lab run N --test PATTERN` replays the one test it names.
// A pattern is a piece of a test's id ("faults/cli", the spec file's name and
// the test's name) or of its name, compared without regard to case; there
// are no wildcards, so any text copied from a report works as it is.

import type { ListedTest } from './runner.ts';

/** What selection looks at: the id (file/name, under hidden/ for hidden tests) and the test's name. */
export type Selectable = Pick<ListedTest, 'id' | 'testName'>;

/** A pattern that selects nothing, or not exactly one test where one is needed; one line for people. */
export class SelectionError extends Error {
  override name = 'SelectionError';
}

/** How many ids an error message lists as examples. */
const EXAMPLES = 4;

export function matches(test: Selectable, pattern: string): boolean {
  const p = pattern.toLowerCase();
  return test.id.toLowerCase().includes(p) || test.testName.toLowerCase().includes(p);
}

/** The tests any of `patterns` matches, in their order; throws SelectionError for a pattern that matches none. */
export function selectTests<T extends Selectable>(tests: readonly T[], patterns: readonly string[]): T[] {
  for (const pattern of patterns) {
    if (!tests.some((t) => matches(t, pattern))) throw new SelectionError(noMatch(tests, pattern));
  }
  return tests.filter((t) => patterns.some((p) => matches(t, p)));
}

/** The one test `pattern` names: the test whose id it is, else the only test it matches. */
export function pickTest<T extends Selectable>(tests: readonly T[], pattern: string): T {
  const exact = tests.find((t) => t.id.toLowerCase() === pattern.toLowerCase());
  if (exact) return exact;
  const found = tests.filter((t) => matches(t, pattern));
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new SelectionError(noMatch(tests, pattern));
  throw new SelectionError(
    `--test '${pattern}' matches ${found.length} tests (${examples(found, tests)}); a replay runs one: give more of its id`,
  );
}

/**
 * The shortest start of the test's id, cut at a word's end, that picks it and
 * only it among `tests`: what a printed replay command names it by
 * ("faults/cli" rather than the whole "faults/cli: CLI (#GP 0) kills ...").
 */
export function shortId(test: Selectable, tests: readonly Selectable[]): string {
  for (let end = 1; end < test.id.length; end++) {
    if (!/[ :]/.test(test.id[end]!) || /[ :]/.test(test.id[end - 1]!)) continue;
    const key = test.id.slice(0, end);
    if (tests.every((t) => t.id === test.id || !matches(t, key))) return key;
  }
  return test.id;
}

function noMatch(tests: readonly Selectable[], pattern: string): string {
  const hint = /^hidden\//i.test(pattern) ? '; hidden tests are included only with --hidden DIR' : '';
  if (tests.length === 0) return `--test '${pattern}' matches no test: there are none${hint}`;
  return `--test '${pattern}' matches no test (ids are file/name, e.g. ${examples(firstOfEachFile(tests), tests)}; ${tests.length} in all)${hint}`;
}

/** The tests with the first of each spec file first, so a few examples show the files there are. */
function firstOfEachFile<T extends Selectable>(tests: readonly T[]): T[] {
  const seen = new Set<string>();
  const firsts = tests.filter((t) => {
    const file = t.id.slice(0, t.id.length - t.testName.length);
    if (seen.has(file)) return false;
    seen.add(file);
    return true;
  });
  return [...firsts, ...tests.filter((t) => !firsts.includes(t))];
}

/** A few of `some` by the ids that pick them among `all`. */
function examples(some: readonly Selectable[], all: readonly Selectable[]): string {
  const shown = some.slice(0, EXAMPLES).map((t) => shortId(t, all));
  return some.length > EXAMPLES ? `${shown.join(', ')}, ...` : shown.join(', ');
}
