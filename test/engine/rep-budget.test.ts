// A hostile kernel must not hide unbounded work in one instruction. A
// repeated string instruction is charged one budget unit per element, so a
// kernel looping REP MOVSD with ECX = 0xFFFFFFFF ends by the instruction
// budget after as many elements (going up or, with DF = 1, down), while the
// instructions retired stay one per execution. And since a run slice is
// bounded in budget units, the machine asks its host (the grader's wall-clock
// deadline) at least every ~million units, in the middle of such a copy too.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { RunResult } from '../../engine/config.ts';
import { REP_SLICE } from '../../engine/cpu/ops/string.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/memory/rep-forever.c');
const ECX = 1, EDI = 7;
const BUDGET = 3_000_000;
/** The machine's run slice, in budget units (engine/machine.ts). */
const SLICE = 1 << 20;

async function repForever(down: boolean): Promise<Uint8Array> {
  return readFileSync(await buildKernel([SOURCE], down ? { defines: { DOWN: true } } : {}));
}

interface Ending {
  result: RunResult;
  ecx: number;
  edi: number;
  /** Budget used and instructions retired when the greeting's last byte was written, just before the copy (boot clears .bss with a REP too). */
  greeted: { used: number; retired: number };
}

function runToBudget(kernel: Uint8Array, compile: boolean): Ending {
  const m = new Machine({ kernel, maxInstructions: BUDGET, compile });
  let greeted = { used: -1, retired: -1 };
  m.subscribe((e) => {
    if (e.type === 'output' && e.byte === 0x0a) greeted = { used: m.cpu.budgetUsed(), retired: m.cpu.retired };
  }, { ports: false });
  try {
    const result = m.run();
    return { result, ecx: m.cpu.r32[ECX] >>> 0, edi: m.cpu.r32[EDI] >>> 0, greeted };
  } finally {
    m.release();
  }
}

describe('a kernel looping REP MOVSD with ECX = 0xFFFFFFFF', () => {
  for (const down of [false, true]) {
    it(`ends by the instruction budget, which counts its elements (DF = ${down ? 1 : 0})`, async () => {
      const kernel = await repForever(down);
      const compiled = runToBudget(kernel, true);
      const { result } = compiled;
      expect(result.reason, result.message).toBe('budget');
      expect(result.budgetUsed).toBe(BUDGET);
      expect(result.message).toMatch(/^instruction budget of 3000000 exhausted at .* rep movs/);
      expect(result.message).toMatch(/\(\d+ instructions retired; a repeated string instruction counts each element, \d+ more\)$/);
      // After the greeting: a few instructions to start the copy, then the REP, one execution per slice of
      // elements and one last execution part-way. Each instruction is one unit, each further element one more.
      const elements = 0xffffffff - compiled.ecx;
      const executions = Math.ceil(elements / REP_SLICE);
      const others = result.instructions - compiled.greeted.retired - executions;
      expect(compiled.greeted.used).toBeGreaterThan(0);
      expect(others).toBeGreaterThanOrEqual(0);
      expect(others).toBeLessThan(50);
      expect(elements + others).toBe(BUDGET - compiled.greeted.used);
      expect(compiled.edi).toBe(down ? 0x01fffffc - 4 * elements : 0x00500000 + 4 * elements);
      expect(result.instructions).toBeLessThan(1000);

      // The same run on the interpreter alone: the same counts and registers, element for element.
      expect(runToBudget(kernel, false)).toEqual(compiled);
    });
  }
});

describe("the machine's host checks come round during a long REP", () => {
  it('asks shouldStop at most a slice of budget units apart, and stops with the REP part-way', async () => {
    const kernel = await repForever(false);
    const asked: number[] = [];
    // The budget is only a backstop for this test: the host stops the run long before.
    const m = new Machine({ kernel, maxInstructions: 100_000_000 }, {
      shouldStop: () => {
        asked.push(m.cpu.budgetUsed());
        return asked.length > 8;
      },
    });
    const result = m.run();
    expect(result.reason).toBe('stopped');
    const gaps = asked.slice(1).map((used, i) => used - asked[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(SLICE + REP_SLICE);
    expect(m.cpu.r32[ECX] >>> 0, 'the REP had not finished').toBeGreaterThan(0);
    expect(result.instructions).toBeLessThan(20_000);
    m.release();
  });

  it('a deadline that has passed stops the run within one slice, in the middle of the copy', async () => {
    const kernel = await repForever(false);
    let deadline = Infinity;
    let passedAt = -1;
    const m = new Machine({ kernel, maxInstructions: 100_000_000 }, { shouldStop: () => performance.now() > deadline });
    // The greeting comes just before the copy: from its last byte on, the deadline has passed.
    m.subscribe((e) => {
      if (e.type === 'output' && e.byte === 0x0a) {
        deadline = performance.now() - 1;
        passedAt = m.cpu.budgetUsed();
      }
    }, { ports: false });
    const result = m.run();
    expect(result.reason).toBe('stopped');
    expect(passedAt).toBeGreaterThan(0);
    expect(result.budgetUsed - passedAt).toBeLessThanOrEqual(SLICE + REP_SLICE);
    expect(m.cpu.r32[ECX] >>> 0).toBeGreaterThan(0);
    m.release();
  });
});
