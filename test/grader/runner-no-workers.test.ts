// When no worker thread can start in workers-only mode (the grader's own
// thread runs no test), every test still comes back, as a grader error that
// says why, instead of disappearing from the results and the score.

import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runTests } from '../../grader/run/runner.ts';
import type { SpecFile } from '../../grader/run/test-list.ts';
import type { TestInputs } from '../../grader/run/run-test.ts';
import { FIXTURE_DIR } from '../fixtures/grader/build-fixtures.ts';

vi.mock('node:worker_threads', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:worker_threads')>();
  const { EventEmitter } = await import('node:events');
  /** A worker that dies while loading, as one does when its entry module cannot be loaded. */
  class FailingWorker extends EventEmitter {
    constructor() {
      super();
      setImmediate(() => {
        this.emit('error', new Error('Cannot find module worker-entry.mjs'));
        this.emit('exit', 1);
      });
    }
    postMessage(): void {}
    terminate(): Promise<number> {
      return Promise.resolve(1);
    }
  }
  return { ...original, Worker: FailingWorker };
});

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const spec = (name: string): SpecFile => ({ specFile: path.join(FIXTURE_DIR, 'specs', name), hidden: false });

describe('workers-only grading with no worker thread', () => {
  it('returns every test as a grader error that says no worker could start', async () => {
    const inputs: TestInputs = { kernel: new Uint8Array(16), programs: { init: new Uint8Array(16) }, defaults: DEFAULTS };
    const results = await runTests([spec('basic.ts')], inputs, { jobs: 2, workersOnly: true });
    expect(results.map((r) => [r.id, r.status, r.run.end, r.maxScore])).toEqual([
      ['basic/after the due date', 'error', 'grader-error', 2],
      ['basic/greets and exits', 'error', 'grader-error', 10],
      ['basic/partial credit', 'error', 'grader-error', 6],
      ['basic/passes module command lines', 'error', 'grader-error', 5],
    ]);
    for (const r of results) expect(r.reason).toBe('grader error: no worker thread could start to run this test: Cannot find module worker-entry.mjs');
  });
});
