// Choosing tests by pattern (--test): which tests a pattern selects, which one
// a replay picks, and the short ids the reports print, which must pick their
// test and no other among the lab's tests, hidden ones included.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadHiddenSpecs } from '../../grader/course/hidden.ts';
import { findLab } from '../../grader/course/labs.ts';
import { publicSpecFiles } from '../../grader/grade.ts';
import { listTests } from '../../grader/run/test-list.ts';
import { pickTest, selectTests, SelectionError, shortId, type Selectable } from '../../grader/run/select.ts';

const LABS = fileURLToPath(new URL('../../labs/', import.meta.url));

const tests: Selectable[] = [
  { id: 'faults/cli: CLI (#GP 0) kills the process', testName: 'cli: CLI (#GP 0) kills the process' },
  { id: 'faults/cli2: CLI twice', testName: 'cli2: CLI twice' },
  { id: 'hello/hello runs', testName: 'hello runs' },
  { id: 'hidden/more-faults/sti: STI', testName: 'sti: STI' },
];

describe('selectTests', () => {
  it('selects by any piece of the id or the name, in any case, keeping the order', () => {
    expect(selectTests(tests, ['FAULTS/CLI']).map((t) => t.id)).toEqual([tests[0]!.id, tests[1]!.id]);
    expect(selectTests(tests, ['twice', 'hello']).map((t) => t.id)).toEqual([tests[1]!.id, tests[2]!.id]);
    // A name alone matches too, and so does text from inside it.
    expect(selectTests(tests, ['sti: STI']).map((t) => t.id)).toEqual([tests[3]!.id]);
  });

  it("a spec file's name selects that file's tests, not every test whose name mentions it", () => {
    const lab3: Selectable[] = [
      { id: 'faults/cli: CLI kills the process, then hello runs', testName: 'cli: CLI kills the process, then hello runs' },
      { id: 'hello/hello runs in ring 3', testName: 'hello runs in ring 3' },
      { id: 'hello/two processes take turns', testName: 'two processes take turns' },
    ];
    expect(selectTests(lab3, ['hello']).map((t) => t.id)).toEqual([lab3[1]!.id, lab3[2]!.id]);
    expect(selectTests(lab3, ['then hello']).map((t) => t.id)).toEqual([lab3[0]!.id]);
  });

  it('has no wildcards: * is a character like any other', () => {
    expect(() => selectTests(tests, ['faults/*'])).toThrow(SelectionError);
  });

  it('refuses a pattern that selects nothing with one line naming it and a few ids to choose from', () => {
    let message = '';
    try {
      selectTests(tests, ['hello', 'nope']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^--test 'nope' matches no test \(ids are file\/name, e\.g\. faults\/cli: CLI, hello\/hello, hidden\/more-faults\/sti, faults\/cli2; 4 in all\)$/);
    expect(message).not.toContain('\n');
  });

  it('says that hidden tests need --hidden when a pattern names one', () => {
    expect(() => selectTests(tests.slice(0, 3), ['hidden/more-faults'])).toThrow(/hidden tests are included only with --hidden DIR$/);
  });
});

describe('pickTest', () => {
  it('takes the test whose id the pattern is, even where the pattern is part of another id', () => {
    const both: Selectable[] = [{ id: 'a/x', testName: 'x' }, { id: 'a/x y', testName: 'x y' }];
    expect(pickTest(both, 'a/x').id).toBe('a/x');
    expect(pickTest(both, 'A/X Y').id).toBe('a/x y');
  });

  it('takes the only test a pattern matches, and refuses several with their ids', () => {
    expect(pickTest(tests, 'twice').id).toBe('faults/cli2: CLI twice');
    expect(() => pickTest(tests, 'cli')).toThrow(/^--test 'cli' matches 2 tests \(faults\/cli: CLI, faults\/cli2\); a replay runs one: give more of its id$/);
    expect(() => pickTest(tests, 'zzz')).toThrow(/^--test 'zzz' matches no test/);
  });
});

describe('shortId', () => {
  it('is the shortest start of the id, cut at a word, that no other test matches', () => {
    // "faults/cli" is also a piece of "faults/cli2", so the next word is needed.
    expect(shortId(tests[0]!, tests)).toBe('faults/cli: CLI');
    expect(shortId(tests[1]!, tests)).toBe('faults/cli2');
    expect(shortId(tests[2]!, tests)).toBe('hello/hello');
    // Cut before the colon, as a reader would.
    expect(shortId(tests[3]!, tests)).toBe('hidden/more-faults/sti');
  });

  it('falls back to the whole id when no shorter start is unique', () => {
    const nested: Selectable[] = [{ id: 'a/b c', testName: 'b c' }, { id: 'a/b c d', testName: 'b c d' }];
    expect(shortId(nested[0]!, nested)).toBe('a/b c');
    expect(pickTest(nested, shortId(nested[0]!, nested)).id).toBe('a/b c');
  });

  it('picks its own test back, for every test of every lab, hidden ones included', async () => {
    for (const n of [1, 2, 3]) {
      const lab = findLab(LABS, n);
      const files = await publicSpecFiles(lab);
      if (lab.hiddenDir) files.push(...(await loadHiddenSpecs(lab.hiddenDir)));
      const { tasks, broken } = await listTests(files);
      expect(broken).toEqual([]);
      expect(tasks.length).toBeGreaterThan(3);
      for (const t of tasks) {
        const key = shortId(t, tasks);
        expect(pickTest(tasks, key).id, key).toBe(t.id);
        // Without the hidden tests, a public test's key still picks it: a student has only those.
        if (!t.hidden) expect(pickTest(tasks.filter((u) => !u.hidden), key).id).toBe(t.id);
      }
    }
  }, 60_000);
});
