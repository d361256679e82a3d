// A test's machine goes back to the thread's spares whichever way the test
// ends: a machine left unreleased keeps its RAM out of reuse, and one
// inspected after release would read the next test's memory.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import { runTest, type TestInputs } from '../../grader/run-test.ts';
import { defineTest } from '../../grader/spec.ts';
import { exitedWith } from '../../grader/checks.ts';
import { behaveKernel } from '../fixtures/grader/build-fixtures.ts';

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const spec = defineTest({ name: 'loops', points: 1, checks: [exitedWith(0)] });

describe('runTest releases its machine', () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    inputs = { kernel: await behaveKernel('LOOP'), programs: {}, defaults: DEFAULTS };
  });
  afterEach(() => { vi.restoreAllMocks(); });

  it('after a run that is judged', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    expect(runTest(spec, inputs).run.end).toBe('budget');
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('after a run the wall-clock backstop stopped', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    expect(runTest(spec, inputs, { id: 'loops', hidden: false }, 0).run.end).toBe('wall-clock');
    expect(release).toHaveBeenCalledTimes(1);
  });
});
