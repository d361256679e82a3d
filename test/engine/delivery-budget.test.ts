// A hostile kernel must not hide unbounded work in interrupts either. A fault
// retires no instruction, so a kernel whose exception handler faults again
// (UD2 at the handler, or a handler address with no RAM behind it) could take
// exceptions forever with the budget standing still. Every exception or device
// interrupt the machine delivers is charged one budget unit, so such a kernel
// ends by the budget, after as many deliveries as the budget had left; the
// instructions retired (and virtual time) stay architectural.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { RunResult } from '../../engine/config.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/memory/interrupt-storm.c');
const BUDGET = 300_000;

type Storm = 'ud2' | 'beyond-ram' | 'timer' | 'timer-spin';

async function interruptStorm(storm: Storm): Promise<Uint8Array> {
  const defines: Record<Storm, Record<string, true>> = {
    ud2: {}, 'beyond-ram': { BEYOND_RAM: true }, timer: { TIMER: true }, 'timer-spin': { TIMER: true, SPIN: true },
  };
  return readFileSync(await buildKernel([SOURCE], { defines: defines[storm] }));
}

interface Ending {
  result: RunResult;
  /** Exceptions and device interrupts delivered (INT n is an instruction, and there is none here). */
  deliveries: { exception: number; external: number };
  repCharge: number;
}

function runToBudget(kernel: Uint8Array, compile: boolean, budget = BUDGET): Ending {
  const deliveries = { exception: 0, external: 0 };
  // A backstop, so that a budget that does not count deliveries fails the test instead of hanging it.
  const m = new Machine({ kernel, maxInstructions: budget, compile }, { shouldStop: () => deliveries.exception + deliveries.external > budget });
  m.subscribe((e) => {
    if (e.type === 'interrupt' && e.kind !== 'software') deliveries[e.kind]++;
  }, { ports: false });
  try {
    return { result: m.run(), deliveries, repCharge: m.cpu.repCharge };
  } finally {
    m.release();
  }
}

describe('a kernel whose exception handler faults again, forever', () => {
  for (const storm of ['ud2', 'beyond-ram'] as const) {
    it(`ends by the instruction budget, which counts each exception delivered (handler: ${storm})`, async () => {
      const kernel = await interruptStorm(storm);
      const compiled = runToBudget(kernel, true);
      const { result, deliveries } = compiled;
      expect(result.reason, result.message).toBe('budget');
      expect(result.budgetUsed).toBe(BUDGET);
      // Boot, a greeting, then nothing but #UD: few instructions, and the rest of the budget in deliveries.
      expect(result.instructions).toBeLessThan(2000);
      expect(deliveries.external).toBe(0);
      expect(deliveries.exception).toBe(BUDGET - result.instructions - compiled.repCharge);
      expect(deliveries.exception).toBeGreaterThan(BUDGET / 2);
      expect(result.message).toMatch(/^instruction budget of 300000 exhausted at 0008:[0-9a-f]{8} (ud2|\(bad\))/);
      expect(result.message).toMatch(/\(\d+ instructions retired; .*each exception or device interrupt delivered counts one, \d+ more\)$/);

      // The same run on the interpreter alone: the same end, delivery for delivery.
      expect(runToBudget(kernel, false)).toEqual(compiled);
    });
  }
});

describe('a kernel taking timer interrupts as fast as the PIT gives them', () => {
  it('is charged one budget unit per interrupt delivered, beside its instructions', async () => {
    const kernel = await interruptStorm('timer');
    const compiled = runToBudget(kernel, true);
    const { result, deliveries } = compiled;
    expect(result.reason, result.message).toBe('budget');
    expect(result.budgetUsed).toBe(BUDGET);
    expect(deliveries.exception).toBe(0);
    // Each tick is eight units after boot: the delivery, the handler's five instructions, JMP and HLT.
    expect(deliveries.external).toBeGreaterThan(BUDGET / 20);
    expect(result.budgetUsed).toBe(result.instructions + compiled.repCharge + deliveries.external);
    expect(runToBudget(kernel, false)).toEqual(compiled);
  });

  for (const storm of ['timer', 'timer-spin'] as const) {
    it(`ends exactly at the budget when a delivery takes its last unit, before the handler runs (${storm})`, async () => {
      const kernel = await interruptStorm(storm);
      // Where the budget stands just after a tick's delivery, well past boot.
      let delivered = -1;
      const m = new Machine({ kernel, maxInstructions: BUDGET });
      m.subscribe((e) => {
        if (e.type === 'interrupt' && e.kind === 'external' && delivered < 0 && m.cpu.budgetUsed() > BUDGET / 2) delivered = m.cpu.budgetUsed();
      }, { ports: false });
      m.run();
      m.release();
      expect(delivered).toBeGreaterThan(0);
      for (const compile of [true, false]) {
        const { result } = runToBudget(kernel, compile, delivered);
        expect(result.reason, result.message).toBe('budget');
        expect(result.budgetUsed, result.message).toBe(delivered);
        expect(result.message).toMatch(/^instruction budget of \d+ exhausted at 0008:[0-9a-f]{8} push %eax/);
      }
    });
  }
});
