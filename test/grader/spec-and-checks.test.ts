// The test API and its checks, run in-process on fixture kernels that pass
// and that fail in each way a student kernel can.

import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { defineTest, loadSpecFile, MACHINE_REMOVED, SpecError, type TestSpec } from '../../grader/api/spec.ts';
import { check, endedBy, exitedWith, kernelNotUserAccessible, noPanic, noTripleFault, serialContains, serialInOrder, serialMatches } from '../../grader/api/checks.ts';
import type { MachineView } from '../../engine/inspect/machine-view.ts';
import { behaveKernel, FIXTURE_DIR, protectKernel } from '../fixtures/grader/build-fixtures.ts';
import type { TestResult } from '../../grader/model.ts';

const DEFAULTS = { ramMiB: 16, maxInstructions: 5_000_000, maxOutputBytes: 4096 };
const programs = { init: new Uint8Array([0x7f, 0x45, 0x4c, 0x46]) };

function inputs(kernel: Uint8Array): TestInputs {
  return { kernel, programs, defaults: DEFAULTS };
}

async function specs(file: string): Promise<Map<string, TestSpec>> {
  const list = await loadSpecFile(path.join(FIXTURE_DIR, 'specs', file));
  return new Map(list.map((s) => [s.name, s]));
}

function failing(r: TestResult) {
  return r.checks.filter((c) => !c.passed);
}

describe('defineTest', () => {
  it('fills in defaults', () => {
    const t = defineTest({ name: 't', points: 1, serialInput: 'ab', checks: [serialContains('x')] });
    expect(t.visibility).toBe('visible');
    expect(t.partialCredit).toBe(false);
    expect(t.modules).toEqual([]);
    expect(Array.from(t.serialInput!)).toEqual([0x61, 0x62]);
  });

  it('rejects a test without checks or with too many check points', () => {
    expect(() => defineTest({ name: 't', points: 1, checks: [] })).toThrow(SpecError);
    expect(() =>
      defineTest({ name: 't', points: 1, partialCredit: true, checks: [{ ...serialContains('x'), points: 2 }] }),
    ).toThrow(/carry 2 points but the test is worth 1/);
    expect(() => defineTest({ name: 't', points: 1, visibility: 'secret' as never, checks: [serialContains('x')] })).toThrow(/visibility/);
  });
});

describe('checks on behave.c kernels', () => {
  let basic: Map<string, TestSpec>;
  let good: Uint8Array;
  beforeAll(async () => {
    basic = await specs('basic.ts');
    good = await behaveKernel('GOOD');
  });

  it('a good kernel passes every check and scores full marks', () => {
    const r = runTest(basic.get('greets and exits')!, inputs(good), { id: 'basic/greets', hidden: false });
    expect(failing(r)).toEqual([]);
    expect(r).toMatchObject({ id: 'basic/greets', status: 'passed', score: 10, maxScore: 10, reason: '' });
    expect(r.run).toMatchObject({ end: 'debug-exit', exitStatus: 1 });
    expect(r.serial).toBe('hello, grader\nstep 1\nstep 2\n');
    expect(r.screen).toHaveLength(25);
    expect(r.registers.cs).toBe(0x08);
    expect(r.timeline.at(-1)).toMatch(/end: debug-exit/);
    expect(r.timeline.some((l) => l.includes('com1 output "hello, grader\\n'))).toBe(true);
  });

  it('loads modules with their command lines', () => {
    const r = runTest(basic.get('passes module command lines')!, inputs(good));
    expect(r.status).toBe('passed');
    expect(r.serial).toContain('module: init x y\n');
  });

  it('a missing program is a grader error naming it', () => {
    const spec = defineTest({ name: 'm', points: 1, modules: [{ program: 'shell' }], checks: [serialContains('x')] });
    const r = runTest(spec, inputs(good));
    expect(r).toMatchObject({ status: 'error', score: 0, run: { end: 'grader-error' } });
    expect(r.reason).toMatch(/module 'shell' is not a program of this lab \(known: init\)/);
  });

  it('wrong output: says what was expected, what was seen, and where the run ended', async () => {
    const r = runTest(basic.get('greets and exits')!, inputs(await behaveKernel('WRONG')));
    expect(r).toMatchObject({ status: 'failed', score: 0 });
    const [contains, order, exit] = failing(r);
    expect(contains?.name).toBe('serial output contains "hello, grader"');
    expect(contains?.expected).toContain('"hello, grader"');
    expect(contains?.observed).toContain('"goodbye, grader\\n"');
    expect(contains?.where).toMatchObject({ icount: r.run.instructions, cs: 8 });
    expect(contains?.where?.instruction).toBeTruthy();
    expect(order?.observed).toMatch(/"step 1" never appears/);
    expect(exit?.expected).toBe('debug-exit with code 0 (status 1)');
    expect(exit?.observed).toBe('it exited with code 3 (status 7)');
    // No event explains it: the headline is the first failed check, what it saw and what it wanted.
    expect(r.reason).toBe(`${contains?.observed}; expected ${contains?.expected}`);
    expect(r.diagnosis).toMatchObject({ headline: r.reason, where: contains?.where });
  });

  it('triple fault: the check and the reason name it', async () => {
    const r = runTest(basic.get('greets and exits')!, inputs(await behaveKernel('TRIPLE')));
    expect(r.status).toBe('failed');
    expect(r.run.end).toBe('triple-fault');
    const tf = r.checks.find((c) => c.name === 'no triple fault')!;
    expect(tf.passed).toBe(false);
    expect(tf.observed).toMatch(/^triple fault: #GP/);
    expect(tf.where!.instruction).toMatch(/int3/);
    expect(r.reason).toMatch(/^triple fault at 0008:[0-9a-f]{8} int3 \(ring 0\): /);
    expect(r.reason).not.toContain('last instructions');
    expect(r.timeline.join('\n')).toMatch(/LIDT base=00000000 limit=0000/);
  });

  it('infinite loop: the instruction budget ends it', async () => {
    const r = runTest(basic.get('greets and exits')!, inputs(await behaveKernel('LOOP')));
    expect(r).toMatchObject({ status: 'failed', score: 0, run: { end: 'budget' } });
    // Fewer instructions than the budget: the boot's REP STOSB over .bss is charged per byte.
    expect(r.run.instructions).toBeLessThan(DEFAULTS.maxInstructions);
    expect(r.run.instructions).toBeGreaterThan(DEFAULTS.maxInstructions - 100_000);
    expect(r.reason).toMatch(/^the instruction budget ran out at 0008:[0-9a-f]{8} \(.+\) in ring 0: no output and no event in its last \d+ instructions$/);
  });

  it('output flood: the output limit ends it and the serial record is bounded', async () => {
    const r = runTest(basic.get('greets and exits')!, inputs(await behaveKernel('FLOOD')));
    expect(r.run.end).toBe('output-limit');
    expect(r.serial.length).toBeLessThanOrEqual(DEFAULTS.maxOutputBytes);
    expect(r.serial.startsWith('flood flood')).toBe(true);
    expect(r.reason).toMatch(/^output flood: the guest wrote 4096 bytes and was stopped at 0008:[0-9a-f]{8} .*; it keeps printing "flood flood flood flood" \(\d+ times in its last 4 KiB\)$/);
  });

  it('kernel panic line fails noPanic and quotes the line', async () => {
    const spec = defineTest({ name: 'p', points: 1, checks: [serialContains('hello, grader'), noPanic(), exitedWith(0)] });
    const r = runTest(spec, inputs(await behaveKernel('PANIC')));
    expect(r.status).toBe('failed');
    expect(failing(r)).toHaveLength(1);
    const [panic] = failing(r);
    expect(panic?.name).toMatch(/^no kernel panic/);
    expect(panic?.observed).toMatch(/^the kernel printed "kernel panic: out of page frames" around instruction \d+/);
    expect(r.reason).toContain('kernel panic: out of page frames');
  });

  it('a check that throws makes the test an error, and the other checks still run', async () => {
    const spec = (await specs('throws.ts')).get('broken check')!;
    const r = runTest(spec, inputs(good));
    expect(r.status).toBe('error');
    expect(r.score).toBe(0);
    expect(r.checks[0]?.passed).toBe(true);
    expect(r.checks[1]).toMatchObject({ passed: false, observed: expect.stringMatching(/^it threw: .*here/) });
    expect(r.reason).toMatch(/^grader error: check 'reads a field that is not there' threw:/);
  });

  it('a check that reads run.machine, gone from the API, is a grader error saying what to use instead', async () => {
    const r = runTest((await specs('old-api.ts')).get('reads run.machine')!, inputs(good));
    expect(r.status).toBe('error');
    expect(r.reason).toBe(`grader error: check 'every gate has DPL 0' threw: ${MACHINE_REMOVED}`);
    expect(r.reason).not.toContain('\n');
  });

  it('checks get the machine as a frozen view that leads nowhere but to plain data', () => {
    let seen: unknown;
    const spec = defineTest({ name: 'v', points: 1, checks: [check('looks', (run) => { seen = run.inspect; return true; })] });
    expect(runTest(spec, inputs(good)).status).toBe('passed');
    expect(Object.isFrozen(seen)).toBe(true);
    expect(Object.values(seen as object).every((v) => typeof v === 'function')).toBe(true);
    // The run is over and its machine released: the view refuses rather than show the next machine's memory.
    expect(() => (seen as MachineView).registers()).toThrow(/released/);
  });

  it('partial credit sums the passing checks; unweighted checks share the rest', () => {
    const r = runTest(basic.get('partial credit')!, inputs(good));
    expect(r.checks.map((c) => [c.passed, c.points])).toEqual([[true, 4], [false, 2]]);
    expect(r).toMatchObject({ status: 'failed', score: 4, maxScore: 6 });
  });

  it('all-or-nothing checks carry no points', () => {
    const r = runTest(basic.get('greets and exits')!, inputs(good));
    expect(r.checks.every((c) => c.points === undefined)).toBe(true);
  });

  it('regex, order and end checks', () => {
    const spec = defineTest({
      name: 'misc', points: 1,
      checks: [
        serialMatches(/step \d\nstep \d/g), serialInOrder([/hello/, 'step 2', 'step 1']), endedBy('debug-exit'), endedBy('halt'),
      ],
    });
    const r = runTest(spec, inputs(good));
    expect(r.checks.map((c) => c.passed)).toEqual([true, false, true, false]);
    expect(r.checks[1]?.observed).toBe('"step 1" appears, but not after "step 2"; after "step 2" the output has nothing more: the output ends there (the run ended by debug-exit)');
    expect(r.checks[3]?.observed).toMatch(/^run ended by debug-exit \(status 1\)/);
  });

  it('identical inputs give deep-equal results', async () => {
    const kernel = await behaveKernel('TRIPLE');
    const spec = basic.get('greets and exits')!;
    expect(runTest(spec, inputs(kernel))).toEqual(runTest(spec, inputs(kernel)));
    expect(runTest(basic.get('passes module command lines')!, inputs(good))).toEqual(runTest(basic.get('passes module command lines')!, inputs(good)));
  });
});

describe('protection checks on protect.c kernels', () => {
  let protect: Map<string, TestSpec>;
  beforeAll(async () => {
    protect = await specs('protect.ts');
  });

  function runAll(kernel: Uint8Array): Map<string, TestResult> {
    return new Map([...protect.values()].map((s) => [s.name, runTest(s, inputs(kernel))]));
  }

  it('the reference kernel passes them all', async () => {
    const results = runAll(await protectKernel());
    for (const r of results.values()) expect([r.name, failing(r)]).toEqual([r.name, []]);
  });

  it('resuming the faulting instruction fails noRing3AfterFault, with where', async () => {
    const results = runAll(await protectKernel('RESUME'));
    const r = results.get('does not resume it')!;
    expect(r.status).toBe('failed');
    const [c] = failing(r);
    expect(c?.expected).toMatch(/^after exception 0 at 0x001b:0x[0-9a-f]{8}, the process is not resumed there/);
    expect(c?.observed).toMatch(/returned to ring 3 at 0x001b:0x[0-9a-f]{8} by iret/);
    expect(c?.where).toMatchObject({ cs: 0x1b });
    expect(c?.where?.instruction).toMatch(/idiv/);
    expect(results.get('kills the faulting process')!.status).toBe('passed');
  });

  it('a user-accessible kernel alias fails kernelNotUserAccessible', async () => {
    const r = runAll(await protectKernel('LEAK')).get('kernel pages')!;
    const [c] = failing(r);
    expect(c?.observed).toMatch(/ring 3 can read 0xc0000000: ring 3 read of 0xc0000000: allowed/);
  });

  it('a user-accessible page in a directory no longer loaded is named by its entries', async () => {
    // The run as it would look had the kernel turned paging off at the end: its directory is known from the CR3 write only.
    const notLoaded = check('alias', (run) => kernelNotUserAccessible({ from: 0xc0000000 }).evaluate({
      ...run, inspect: { ...run.inspect, registers: () => ({ ...run.inspect.registers(), cr0: run.inspect.registers().cr0 & 0x7fffffff }) },
    }));
    const [c] = failing(runTest(defineTest({ name: 'k', points: 1, checks: [notLoaded] }), inputs(await protectKernel('LEAK'))));
    expect(c?.observed).toMatch(/^in the page directory at 0x[0-9a-f]{8}, ring 3 can read 0xc0000000: PDE 768 = 0x[0-9a-f]{5}0[0-7][67] and PTE 0 = 0x000000[0-7][67] both have U\/S = 1$/);
  });

  it('a DPL-3 gate for vector 3 fails idtGatesDpl', async () => {
    const r = runAll(await protectKernel('OPEN')).get('gates')!;
    expect(failing(r)[0]?.observed).toBe('1 gate(s) let ring 3 in: 0x03 (DPL 3)');
  });

  it('processKilled fails when the kernel does not print the line', async () => {
    const spec = defineTest({ name: 'k', points: 1, checks: [(await import('../../grader/api/checks.ts')).processKilled({ pid: 2, vector: 0 })] });
    const r = runTest(spec, inputs(await protectKernel()));
    expect(failing(r)[0]?.observed).toMatch(/^the kernel printed "killed pid 1: fault at [0-9a-f]+, vector 0"/);
    expect(failing(r)[0]?.where).toMatchObject({ cs: 0x1b });
  });

  it('userNeverAtCpl0 catches ring-0 code in the range', async () => {
    const { userNeverAtCpl0 } = await import('../../grader/api/checks.ts');
    // The fixture's handlers live in its own image around 1 MiB: call that range "user" to see it trip.
    const spec = defineTest({ name: 'u', points: 1, checks: [userNeverAtCpl0({ from: 0x100000, to: 0x3fffff })] });
    const [c] = failing(runTest(spec, inputs(await protectKernel())));
    expect(c?.observed).toMatch(/^at instruction \d+ a interrupt entered ring 0 at 0x0008:0x001/);
  });

  it('noTripleFault and exitedWith pass on the reference', async () => {
    const spec = defineTest({ name: 'e', points: 1, checks: [noTripleFault(), exitedWith(0)] });
    expect(runTest(spec, inputs(await protectKernel())).status).toBe('passed');
  });
});
