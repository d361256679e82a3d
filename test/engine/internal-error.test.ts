// A host exception inside the engine is a bug of ours, not something the
// guest did: Machine.run() throws it as an InternalEngineError with the
// original (and its stack) as its cause, wherever it was raised, instead of
// ending the run as 'unsupported' (which failed the student's test) or
// escaping raw from exception delivery.

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InternalEngineError } from '../../engine/config.ts';
import { Machine } from '../../engine/machine.ts';
import { behaveKernel } from '../fixtures/grader/build-fixtures.ts';

describe('an exception inside the engine', () => {
  let good: Uint8Array, triple: Uint8Array;
  beforeAll(async () => {
    good = await behaveKernel('GOOD');
    triple = await behaveKernel('TRIPLE');
  });
  afterEach(() => { vi.restoreAllMocks(); });

  it('in the run loop is thrown as an internal error that keeps the original stack', () => {
    const m = new Machine({ kernel: good, ramMiB: 16, maxInstructions: 1_000_000 });
    vi.spyOn(m.pit, 'advanceTo').mockImplementation(() => { throw new TypeError('a bug in the PIT'); });
    try {
      let thrown: unknown;
      try {
        m.run();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(InternalEngineError);
      const error = thrown as InternalEngineError;
      expect(error.message).toMatch(/^internal engine error at 0008:[0-9a-f]{8} .*: a bug in the PIT$/);
      expect(error.cause).toBeInstanceOf(TypeError);
      expect((error.cause as Error).stack).toContain('a bug in the PIT');
    } finally {
      m.release();
    }
  });

  it('while delivering an exception is thrown as an internal error too, not as a raw host exception', () => {
    const m = new Machine({ kernel: triple, ramMiB: 16, maxInstructions: 1_000_000 });
    // The IDT limit read by the machine's own exception delivery (not by INT3's) fails as an engine bug would.
    const cpu = m.cpu as unknown as { idtLimit: number };
    let limit = cpu.idtLimit;
    Object.defineProperty(cpu, 'idtLimit', {
      get() {
        if (new Error().stack!.includes('RunEnd.exception')) throw new RangeError('a bug in delivery');
        return limit;
      },
      set(v: number) { limit = v; },
    });
    try {
      expect(() => m.run()).toThrow(InternalEngineError);
      expect(() => m.run()).toThrow(/internal engine error at .*: a bug in delivery/);
    } finally {
      m.release();
    }
  });
});
