// The schedule of real runs of the course's reference kernels (issue 14):
// lab 4 gives every process its own page directory, so each gets its own
// row with its pid; a ring-3 fault that ends a process is a kill; a long run
// has timer ticks on its axis and stays small.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { check, serialContains } from '../../grader/api/checks.ts';
import { defineTest } from '../../grader/api/spec.ts';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { scheduleLines } from '../../grader/report/schedule-view.ts';
import { MAX_MARKS, MAX_SPANS } from '../../grader/run/schedule.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { needs } from '../host-tools.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const never = [check('fails on purpose', () => false)];

async function built(lab: number): Promise<TestInputs> {
  const b = await buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), lab));
  if (!b.ok) throw new Error(b.log);
  return b.inputs;
}

describe("the schedule of lab 4's reference kernel", needs('gcc', 'bwrap'), () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    inputs = await built(4);
  });

  it('has a row per process, named from its exec line, and the kill of the one that read the kernel half', () => {
    const result = runTest(defineTest({ name: 'k', points: 1, modules: [{ program: 'kread-high' }, { program: 'hello' }], checks: never }), inputs);
    const s = result.schedule!;
    const processes = s.rows.filter((r) => r.pid !== undefined);
    expect(processes.map((r) => [r.pid, r.name])).toEqual([[1, 'kread-high'], [2, 'hello']]);
    expect(processes.every((r) => r.time.user > 0)).toBe(true);
    // The directories are the ones the address-space pictures show for ring 3.
    const spaces = (result.addressSpaces ?? []).map((a) => a.cr3);
    expect(processes.every((r) => spaces.includes(r.cr3!))).toBe(true);
    const killed = s.marks.filter((m) => m.kind === 'kill');
    expect(killed.map((m) => [s.rows[m.row]!.name, m.vector])).toEqual([['kread-high', 14]]);
    expect(scheduleLines(s).find((l) => l.includes('pid 1 kread-high'))).toMatch(/X/);
  });

  it('puts a long run on timer ticks and keeps it small', () => {
    const s = runTest(defineTest({ name: 'hog', points: 1, modules: [{ program: 'hog' }, { program: 'hello' }], checks: never }), inputs).schedule!;
    expect(s.unit).toBe('tick');
    expect(s.end).toBeGreaterThan(2);
    expect(s.rows.reduce((n, r) => n + r.spans.length, 0)).toBeLessThanOrEqual(MAX_SPANS);
    expect(s.marks.length).toBeLessThanOrEqual(MAX_MARKS);
    expect(JSON.stringify(s).length).toBeLessThan(16_000);
  });
});

describe("the schedule of lab 3's reference kernel", needs('gcc', 'bwrap'), () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    inputs = await built(3);
  });

  it('is kept for a passed test only when its spec asks', () => {
    const passing = { name: 'yield', points: 1, modules: [{ program: 'yielder' }, { program: 'yielder' }], checks: [serialContains('yielder: pid 2 round 2')] };
    expect(runTest(defineTest(passing), inputs).schedule).toBeUndefined();
    const shown = runTest(defineTest({ ...passing, showSchedule: true }), inputs);
    expect(shown.status).toBe('passed');
    // Lab 3's processes share one directory: one row for both, named by CR3 alone.
    expect(shown.schedule!.rows.map((r) => [r.kind, r.pid])).toEqual([['boot', undefined], ['space', undefined]]);
    expect(shown.schedule!.marks.filter((m) => m.kind === 'syscall').length).toBeGreaterThan(4);
  });
});

describe("the schedule of lab 5's reference kernel", needs('gcc', 'bwrap'), () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    inputs = await built(5);
  });

  it('shows the halted CPU on its own row, for the ticks the engine says it slept', () => {
    const s = runTest(defineTest({ name: 'idle', points: 1, modules: [{ program: 'idle' }], checks: never }), inputs).schedule!;
    expect(s.unit).toBe('tick');
    expect(s.end).toBeGreaterThan(50);
    const idle = s.rows.find((r) => r.kind === 'idle')!;
    // The program sleeps 50 ticks: nearly all of the run is HLT.
    expect(idle.time.idle / s.end).toBeGreaterThan(0.9);
    expect(s.marks.filter((m) => m.kind === 'timer' && m.row === s.rows.indexOf(idle)).length).toBeGreaterThan(40);
  });

  it("marks the spinner that kill() ends, in the spinner's row", () => {
    const s = runTest(defineTest({ name: 'spin', points: 1, modules: [{ program: 'spin-print' }], checks: never }), inputs).schedule!;
    const kills = s.marks.filter((m) => m.kind === 'kill');
    expect(kills).toHaveLength(1);
    // The spinner is the forked child: the second directory to reach ring 3 (the printer spins between lines too).
    const [printer, spinner, ...others] = s.rows.filter((r) => r.ranUser);
    expect(others).toEqual([]);
    expect(s.rows[kills[0]!.row]).toBe(spinner);
    expect(printer!.spans.at(-1)!.to).toBeGreaterThan(kills[0]!.at);
  });

  it('gives three spinners the same share of ring 3, a quantum apart at most', () => {
    const s = runTest(defineTest({ name: 'fair', points: 1, modules: [{ program: 'fair' }], checks: never }), inputs).schedule!;
    const spinners = s.rows.filter((r) => r.time.user > 5).map((r) => r.time.user);
    expect(spinners).toHaveLength(3);
    // QUANTUM is 2 ticks (labs/kernel/proc.h).
    expect(Math.max(...spinners) - Math.min(...spinners)).toBeLessThan(2);
  });
});
