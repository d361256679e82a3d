// Choosing tests by name: `lab grade N --test PATTERN` runs the tests a
// pattern matches, `lab run N --test PATTERN` replays the one test it names.
// A pattern is the start of test ids ("hello" for every test of hello.ts,
// "faults/cli" for one), or, when it starts no id, a piece of an id or of a
// test's name, compared without regard to case; there are no wildcards, so
// any text copied from a report works as it is. Ids come first so that a
// spec file's name selects its tests, not every test whose name mentions it.

import { specPartOfId, type ListedTest } from './test-list.ts';

/** What selection looks at: the id (file/name, under hidden/ for hidden tests) and the test's name. */
export type Selectable = Pick<ListedTest, 'id' | 'testName'>;

/** A pattern that selects nothing, or not exactly one test where one is needed; one line for people. */
export class SelectionError extends Error {
  override name = 'SelectionError';
}

/** How many ids an error message lists as examples. */
const EXAMPLES = 4;

/** The tests `pattern` selects: those whose id starts with it, else those with it anywhere in the id or the name. */
export function matching<T extends Selectable>(tests: readonly T[], pattern: string): T[] {
  const p = pattern.toLowerCase();
  const byStart = tests.filter((t) => t.id.toLowerCase().startsWith(p));
  if (byStart.length > 0) return byStart;
  return tests.filter((t) => t.id.toLowerCase().includes(p) || t.testName.toLowerCase().includes(p));
}

/** The tests any of `patterns` selects, in their order; throws SelectionError for a pattern that selects none. */
export function selectTests<T extends Selectable>(tests: readonly T[], patterns: readonly string[]): T[] {
  const chosen = new Set<T>();
  for (const pattern of patterns) {
    const found = matching(tests, pattern);
    if (found.length === 0) throw new SelectionError(noMatch(tests, pattern));
    for (const t of found) chosen.add(t);
  }
  return tests.filter((t) => chosen.has(t));
}

/** The one test `pattern` names: the test whose id it is, else the only test it matches. */
export function pickTest<T extends Selectable>(tests: readonly T[], pattern: string): T {
  const exact = tests.find((t) => t.id.toLowerCase() === pattern.toLowerCase());
  if (exact) return exact;
  const found = matching(tests, pattern);
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
    const picked = matching(tests, key);
    if (picked.length === 1 && picked[0] === test) return key;
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
    const file = specPartOfId(t);
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
