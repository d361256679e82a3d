// A bug of ours inside the engine is the grader's error: the test is an
// 'error' result (grading exits 2), never a failure counted against the
// student, and the whole stack is kept for us. Whatever way the test ends, its
// machine is released.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Pit } from '../../engine/devices/pit.ts';
import { Machine } from '../../engine/machine.ts';
import { runTest, type TestInputs } from '../../grader/run-test.ts';
import { assembleReport, exitStatus } from '../../grader/score.ts';
import { defineTest } from '../../grader/spec.ts';
import { exitedWith } from '../../grader/checks.ts';
import { behaveKernel } from '../fixtures/grader/build-fixtures.ts';

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const spec = defineTest({ name: 'greets and exits', points: 10, checks: [exitedWith(0)] });

describe('an internal engine error during a test', () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    inputs = { kernel: await behaveKernel('GOOD'), programs: {}, defaults: DEFAULTS };
  });
  afterEach(() => { vi.restoreAllMocks(); });

  it('is a grader error with its stack kept, not a failure of the student\'s test', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    // The PIT fails as an engine bug would, once the machine runs (it is set up while the machine is made).
    const advance = Pit.prototype.advanceTo;
    vi.spyOn(Pit.prototype, 'advanceTo').mockImplementation(function (this: Pit, ticks: number) {
      if (new Error().stack!.includes('Machine.run')) throw new TypeError('a bug in the PIT');
      advance.call(this, ticks);
    });
    const result = runTest(spec, inputs, { id: 'lab/greets and exits', hidden: false });
    expect(result).toMatchObject({ status: 'error', score: 0, maxScore: 10, run: { end: 'grader-error' } });
    expect(result.reason).toMatch(/^grader error \(a bug in ringlab, not in the kernel\): internal engine error at .*: a bug in the PIT$/);
    expect(result.internalError).toMatch(/^TypeError: a bug in the PIT\n\s+at /);
    expect(exitStatus(assembleReport([result], { lab: { number: 1, slug: '01-boot', title: 'Boot' } }))).toBe(2);
    expect(release).toHaveBeenCalledTimes(1);
  });
});
