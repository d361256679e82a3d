// However a test's run ends, runTest gives a result and releases the machine
// (its memory goes to the next test's). A bug of ours inside the engine is
// the grader's error: an 'error' result (grading exits 2), never a failure
// counted against the student, with the whole stack kept for us.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Pit } from '../../engine/devices/pit.ts';
import { Machine } from '../../engine/machine.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { assembleReport, processExitCode } from '../../grader/scoring/score.ts';
import { defineTest } from '../../grader/api/spec.ts';
import { exitedWith } from '../../grader/api/checks.ts';
import { behaveKernel } from '../fixtures/grader/build-fixtures.ts';

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const spec = defineTest({ name: 'exits', points: 10, checks: [exitedWith(0)] });

describe('runTest', () => {
  let good: TestInputs, loop: TestInputs;
  beforeAll(async () => {
    good = { kernel: await behaveKernel('GOOD'), programs: {}, defaults: DEFAULTS };
    loop = { kernel: await behaveKernel('LOOP'), programs: {}, defaults: DEFAULTS };
  });
  afterEach(() => { vi.restoreAllMocks(); });

  it('releases the machine of a run that is judged', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    expect(runTest(spec, loop).run.end).toBe('budget');
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('releases the machine of a run the wall-clock backstop stopped', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    expect(runTest(spec, loop, { id: 'exits', hidden: false }, 0).run.end).toBe('wall-clock');
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('makes an internal engine error a grader error with its stack kept, and releases the machine', () => {
    const release = vi.spyOn(Machine.prototype, 'release');
    // The PIT fails as an engine bug would, once the machine runs (it is set up while the machine is made).
    const advance = Pit.prototype.advanceTo;
    vi.spyOn(Pit.prototype, 'advanceTo').mockImplementation(function (this: Pit, ticks: number) {
      if (new Error().stack!.includes('Machine.run')) throw new TypeError('a bug in the PIT');
      advance.call(this, ticks);
    });
    const result = runTest(spec, good, { id: 'lab/exits', hidden: false });
    expect(result).toMatchObject({ status: 'error', score: 0, maxScore: 10, run: { end: 'grader-error' } });
    expect(result.reason).toMatch(/^grader error \(a bug in ringlab, not in the kernel\): internal engine error at .*: a bug in the PIT$/);
    expect(result.internalError).toMatch(/^TypeError: a bug in the PIT\n\s+at /);
    expect(processExitCode(assembleReport([result], { lab: { number: 1, slug: '01-boot', title: 'Boot' } }))).toBe(2);
    expect(release).toHaveBeenCalledTimes(1);
  });
});
