// The parallel runner: workers load TypeScript specs, results come back in a
// stable order and equal the in-process ones, and a hung or crashing test
// costs only itself.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTests } from '../../grader/run/runner.ts';
import type { SpecFile } from '../../grader/run/test-list.ts';
import type { TestInputs } from '../../grader/run/run-test.ts';
import { behaveKernel, FIXTURE_DIR } from '../fixtures/grader/build-fixtures.ts';

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const spec = (name: string, hidden = false): SpecFile => ({ specFile: path.join(FIXTURE_DIR, hidden ? 'hidden' : 'specs', name), hidden });

describe('runTests', () => {
  let good: TestInputs;
  beforeAll(async () => {
    good = { kernel: await behaveKernel('GOOD'), programs: { init: new Uint8Array(16) }, defaults: DEFAULTS };
  });

  const files = () => [spec('throws.ts'), spec('basic.ts'), spec('secret.ts', true)];

  it('runs every test on workers and returns them sorted by id', async () => {
    const results = await runTests(files(), good, { jobs: 3, workersOnly: true });
    expect(results.map((r) => [r.id, r.status, r.score])).toEqual([
      ['basic/after the due date', 'passed', 2],
      ['basic/greets and exits', 'passed', 10],
      ['basic/partial credit', 'failed', 4],
      ['basic/passes module command lines', 'passed', 5],
      ['hidden/secret/knows the secret', 'failed', 0],
      ['throws/broken check', 'error', 0],
    ]);
    expect(results.find((r) => r.hidden)!.visibility).toBe('visible');
  });

  it('gives identical results on this thread, on one worker, on several workers, and mixed', async () => {
    const one = await runTests(files(), good, { jobs: 1 });
    const oneWorker = await runTests(files(), good, { jobs: 1, workersOnly: true });
    const many = await runTests(files(), good, { jobs: 4, workersOnly: true });
    const mixed = await runTests(files(), good, { jobs: 4 });
    const here = await runTests(files(), good, { inProcess: true });
    expect(oneWorker).toEqual(one);
    expect(many).toEqual(one);
    expect(mixed).toEqual(one);
    expect(here).toEqual(one);
  });

  it('starts workers for long tests but not for short ones, and grades the same either way', async () => {
    const loop = { ...good, kernel: await behaveKernel('LOOP') };
    let started = 0;
    const onWorkerStart = () => { started++; };
    const long = await runTests([spec('long.ts')], loop, { jobs: 3, onWorkerStart });
    expect(started).toBe(2);
    expect(long.map((r) => [r.name, r.run.end])).toEqual([1, 2, 3, 4].map((n) => [`spins to its budget ${n}`, 'budget']));
    // The same run on whichever thread: the budget (20 M, a boot-time REP STOSB charged per byte) ends it at the same instruction.
    expect(new Set(long.map((r) => r.run.instructions)).size).toBe(1);
    expect(long[0]!.run.instructions).toBeGreaterThan(19_900_000);
    expect(await runTests([spec('long.ts')], loop, { jobs: 1 })).toEqual(long);
    started = 0;
    await runTests(files(), good, { jobs: 3, onWorkerStart });
    expect(started).toBe(0);
  });

  it('stops a test at the wall-clock backstop and goes on with the others (on this thread, with one job)', async () => {
    const loop = { ...good, kernel: await behaveKernel('LOOP') };
    const results = await runTests([spec('slow.ts'), spec('throws.ts')], loop, { jobs: 1, wallClockMs: 500 });
    const slow = results.find((r) => r.name === 'spins for a long time')!;
    expect(slow).toMatchObject({ status: 'failed', score: 0, maxScore: 1, run: { end: 'wall-clock' } });
    expect(slow.reason).toMatch(/ran longer than 1 s of host time/);
    expect(results.find((r) => r.name === 'broken check')!.status).toBe('error');
  });

  it('stops a test that holds this thread (a check that never returns) from outside it, and goes on', async () => {
    const results = await runTests([spec('hangs.ts'), spec('basic.ts')], good, { jobs: 1, wallClockMs: 1000 });
    expect(results.find((r) => r.name === 'check that never returns')).toMatchObject({ status: 'failed', score: 0, run: { end: 'wall-clock' } });
    expect(results.find((r) => r.name === 'greets and exits')!.status).toBe('passed');
  });

  it('stops a hung test on a worker thread too, by terminating the worker', async () => {
    const loop = { ...good, kernel: await behaveKernel('LOOP') };
    const results = await runTests([spec('slow.ts')], loop, { jobs: 1, wallClockMs: 500, workersOnly: true });
    expect(results[0]).toMatchObject({ status: 'failed', run: { end: 'wall-clock' } });
  });

  it('turns a crashed worker into an error for that test alone', async () => {
    const results = await runTests([spec('crash.ts'), spec('basic.ts')], good, { jobs: 1, workersOnly: true });
    const crashed = results.find((r) => r.id === 'crash/kills its worker')!;
    expect(crashed).toMatchObject({ status: 'error', score: 0, run: { end: 'grader-error' } });
    expect(crashed.reason).toMatch(/worker running this test crashed: the worker exited with code 7/);
    expect(results.filter((r) => r.id.startsWith('basic/')).map((r) => r.status)).toEqual(['passed', 'passed', 'failed', 'passed']);
  });

  it('reports a spec file that cannot be loaded as one error result', async () => {
    const results = await runTests([spec('missing.ts'), spec('basic.ts')], good, { jobs: 2 });
    expect(results[0]?.id).toBe('basic/after the due date');
    const broken = results.find((r) => r.id === 'missing')!;
    expect(broken).toMatchObject({ status: 'error', run: { end: 'grader-error' } });
    expect(broken.reason).toMatch(/missing\.ts: cannot load the test module/);
  });
});

describe('runTests with a time limit for the whole grading (lab grade --time-limit)', () => {
  let good: TestInputs;
  beforeAll(async () => {
    good = { kernel: await behaveKernel('GOOD'), programs: { init: new Uint8Array(16) }, defaults: DEFAULTS };
  });

  it('keeps the results of the tests that ran and reports the others as not run', async () => {
    // Open at first; spent once the first result is in, whenever that is on this host.
    const deadline = { at: Number.POSITIVE_INFINITY, seconds: 7 };
    const results = await runTests([spec('basic.ts')], good, { jobs: 1, deadline, onResult: () => { deadline.at = 0; } });
    const ran = results.filter((r) => r.run.end !== 'wall-clock');
    const left = results.filter((r) => r.run.end === 'wall-clock');
    expect(ran).toHaveLength(1);
    expect(ran[0]!.status).toBe('passed');
    expect(left).toHaveLength(3);
    for (const r of left) {
      expect(r.status).toBe('failed');
      expect(r.score).toBe(0);
      expect(r.reason).toContain("not run: grading's time limit of 7 s ran out before this test started (--time-limit)");
    }
  });

  it('runs everything while the limit is not reached', async () => {
    const results = await runTests([spec('basic.ts')], good, { jobs: 2, deadline: { at: Number.POSITIVE_INFINITY, seconds: 600 } });
    expect(results.filter((r) => r.run.end === 'wall-clock')).toEqual([]);
  });
});
