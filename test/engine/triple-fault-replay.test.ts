// A triple fault's message names the last instructions before it. The machine
// finds them by replaying the run, compiled up to shortly before the end and
// traced from there; that must name the same instructions as a run traced
// from its first instruction on the interpreter alone.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

describe('the last instructions before a triple fault', () => {
  it('are the same from the compiled-then-traced replay as from a run traced throughout', async () => {
    const kernel = readFileSync(await buildKernel([path.join(FIXTURES, 'memory/busy-then-triple-fault.c')]));
    const compiled = new Machine({ kernel });
    const result = compiled.run();
    expect(result.reason).toBe('triple-fault');
    expect(result.instructions).toBeGreaterThan(300_000);
    expect(compiled.cpu.blocks!.compiled).toBeGreaterThan(0);

    const traced = new Machine({ kernel, compile: false, traceInstructions: 8 });
    const tracedResult = traced.run();
    expect(tracedResult.instructions).toBe(result.instructions);
    const last = traced.recentInstructions().map((r) => `[ring ${r.cpl}] ${r.eip.toString(16).padStart(8, '0')} ${r.text}`).join(' | ');
    expect(last).toMatch(/lidt .* \| \[ring 0\] [0-9a-f]{8} ud2$/);
    expect(result.message).toContain(`; last instructions: ${last}`);
    expect(tracedResult.message).toBe(result.message);
  });
});
