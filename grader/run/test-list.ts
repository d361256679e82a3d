// A lab's tests as every part of the grader names them. A test's id is its
// spec file's name without extension (under "hidden/" for a hidden file), a
// slash, and the test's name: "faults/cli: CLI (#GP 0) kills the process".
// Reports sort by it, `--test` selects by it, replay commands print it and
// mutants name the tests they must fail by it, so it is made here and nowhere
// else.

import path from 'node:path';
import { loadSpecFile, type TestSpec } from '../api/spec.ts';
import type { TestResult } from '../model.ts';
import { errorResult } from './run-test.ts';
import type { WorkerTask } from './worker.ts';
import { messageOf } from '../messages.ts';

export interface SpecFile {
  specFile: string;
  /** From the hidden-test directory: never shown in detail to students. */
  hidden: boolean;
}

/** A test as the grader lists it: where it comes from, its id, and its spec. */
export interface ListedTest extends WorkerTask {
  spec: TestSpec;
}

/** The prefix of a spec file's test ids: its name without extension, under hidden/ for hidden files. */
function specLabel(file: SpecFile): string {
  const name = path.basename(file.specFile).replace(/\.[cm]?[jt]s$/, '');
  return file.hidden ? `hidden/${name}` : name;
}

/** The spec file part of a listed test's id ("faults/" of "faults/cli"), whose tests share it. */
export function specPartOfId(test: Pick<ListedTest, 'id' | 'testName'>): string {
  return test.id.slice(0, test.id.length - test.testName.length);
}

/** The tests of one spec file, in its order; throws SpecError (one line naming the file) when it cannot be loaded. */
export async function testsOfFile(file: SpecFile): Promise<ListedTest[]> {
  const label = specLabel(file);
  const specFile = path.resolve(file.specFile);
  const specs = await loadSpecFile(specFile);
  return specs.map((spec) => ({ specFile, testName: spec.name, id: `${label}/${spec.name}`, hidden: file.hidden, spec }));
}

/** Every test of every file, in file order, or an error result for a file that cannot be loaded. */
export async function listTests(files: readonly SpecFile[]): Promise<{ tasks: ListedTest[]; broken: TestResult[] }> {
  const tasks: ListedTest[] = [];
  const broken: TestResult[] = [];
  for (const file of files) {
    try {
      tasks.push(...(await testsOfFile(file)));
    } catch (e) {
      const label = specLabel(file);
      broken.push(errorResult(
        { id: label, name: label, visibility: file.hidden ? 'hidden' : 'visible', hidden: file.hidden, maxScore: 0 },
        'grader-error', messageOf(e),
      ));
    }
  }
  return { tasks, broken };
}
