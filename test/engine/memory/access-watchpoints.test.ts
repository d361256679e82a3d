// Read and access watchpoints (gdb's rwatch and awatch) are kept by the CPU's
// memory path: a watched page's accesses go the slow way, which notes them.
// That must not change what the guest sees: a stale TLB entry a kernel
// relies on (it forgot INVLPG) stays stale while its page is watched.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../../engine/machine.ts';
import type { WatchHit } from '../../../engine/machine.ts';
import { buildKernel } from '../../fixtures/guest/build-guest.ts';
import { needs } from '../../host-tools.ts';

/** stale-tlb.c reads this linear address three times: to fill the TLB, through the stale entry, after INVLPG. */
const WINDOW = 0x00800000;
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

/** Runs stale-tlb.c to its end with a watch on WINDOW; returns what it printed and each step's hit. */
async function runWatched(kind: 'read' | 'access', address: number, length: number): Promise<{ output: string; hits: { pc: number; hit: WatchHit }[] }> {
  const kernel = readFileSync(await buildKernel([fileURLToPath(new URL('../../fixtures/compiled-code/stale-tlb.c', import.meta.url))]));
  let output = '';
  const machine = new Machine({ kernel }, { onOutput: (chunk) => { output += Buffer.from(chunk).toString('latin1'); } });
  try {
    machine.cpu.accessWatch.add(address, length, kind);
    const hits: { pc: number; hit: WatchHit }[] = [];
    for (;;) {
      const outcome = machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS, watchHit: () => machine.cpu.accessWatch.take() });
      if (!('pause' in outcome)) break;
      if (outcome.pause === 'watchpoint') hits.push({ pc: machine.pc(), hit: { address: outcome.address, kind: outcome.kind } });
    }
    return { output, hits };
  } finally {
    machine.release();
  }
}

describe('read and access watchpoints', needs('gcc'), () => {
  it('stop after each instruction that reads the location, and leave a stale translation stale', async () => {
    const { output, hits } = await runWatched('read', WINDOW, 1);
    expect(output).toContain('stale A, after invlpg B');
    expect(hits.map((h) => h.hit)).toEqual(Array.from({ length: 3 }, () => ({ address: WINDOW, kind: 'read' })));
    expect(new Set(hits.map((h) => h.pc)).size).toBe(3);
  });

  it('see a read of any byte of the range, and not of the byte before it', async () => {
    // The kernel reads WINDOW's byte alone.
    const covering = await runWatched('access', WINDOW - 3, 4);
    expect(covering.hits.map((h) => h.hit)).toEqual(Array.from({ length: 3 }, () => ({ address: WINDOW - 3, kind: 'access' })));
    const after = await runWatched('access', WINDOW + 1, 4);
    expect(after.hits).toEqual([]);
    expect(after.output).toContain('stale A, after invlpg B');
  });
});
