// Machine.counters(): instructions retired and modelled cycles, per CPL and
// per CR3 (a process's share). Every retired instruction is counted once,
// under the CPL and the CR3 it ran with, and every cycle likewise, the same
// whether the code was compiled or interpreted.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine, type Counters } from '../../engine/machine.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const SYSTEM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/system');

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

describe('instruction counters', () => {
  it('split every retired instruction by CPL and by CR3, the same compiled or interpreted', async () => {
    // paging.c turns paging on with its own page directory (a CR3 write) and runs cases in ring 3.
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'paging.c'].map((f) => path.join(SYSTEM_DIR, f))));
    const seen: Counters[] = [];
    for (const compile of [false, true]) {
      const m = new Machine({ kernel, compile, compileThreshold: 20, maxInstructions: 300_000_000 });
      try {
        expect(m.run().reason).toBe('debug-exit');
        const c = m.counters();
        expect(c.instructions).toBeGreaterThan(0);
        expect(sum(c.perCpl)).toBe(c.instructions);
        expect(c.perCpl[0]).toBeGreaterThan(0);
        expect(c.perCpl[3]).toBeGreaterThan(0);
        expect(c.perCpl[1]! + c.perCpl[2]!).toBe(0);
        expect(sum(c.perCr3.values())).toBe(c.instructions);
        // The modelled cycles divide the same way, and cost more than one per instruction.
        expect(c.cycles).toBeGreaterThan(c.instructions);
        expect(sum(c.cyclesPerCpl)).toBe(c.cycles);
        expect(c.cyclesPerCpl[3]).toBeGreaterThan(c.perCpl[3]!);
        expect(sum(c.cyclesPerCr3.values())).toBe(c.cycles);
        // Before paging (CR3 = 0) and under the kernel's page directory.
        expect(c.perCr3.get(0)).toBeGreaterThan(0);
        expect([...c.perCr3.entries()].filter(([cr3, n]) => cr3 !== 0 && n > 0).length).toBeGreaterThan(0);
        seen.push(c);
      } finally {
        m.release();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});

describe('per-CPL counts', () => {
  it('count exactly the instructions a kernel adds at ring 3 under CPL 3, and none under CPL 0', async () => {
    const counts: Counters[] = [];
    for (const ring3Instructions of [0, 1000]) {
      const source = ['sys-entry.S', 'sys.c', 'ring3-instructions.c'].map((f) => path.join(SYSTEM_DIR, f));
      const kernel = readFileSync(await buildKernel(source, { defines: { RING3_INSTRUCTIONS: ring3Instructions } }));
      const m = new Machine({ kernel, maxInstructions: 10_000_000 });
      try {
        expect(m.run().reason).toBe('debug-exit');
        counts.push(m.counters());
      } finally {
        m.release();
      }
    }
    const [few, many] = counts as [Counters, Counters];
    expect(many.instructions - few.instructions).toBe(1000);
    expect(many.perCpl[3]! - few.perCpl[3]!).toBe(1000);
    expect(many.perCpl[0]).toBe(few.perCpl[0]);
    // The case itself ends with INT 0x81 at ring 3: ring 3 ran even with no NOPs.
    expect(few.perCpl[3]).toBeGreaterThan(0);
    expect(many.perCr3.get(0)).toBe(many.instructions);
  });
});

describe('per-CR3 counts', () => {
  it('key a page directory above 2 GiB by its unsigned address, one key for the whole stay', async () => {
    const { run } = await import('./cpu/harness.ts');
    // MOV EAX, 0x80001000; MOV CR3, EAX; NOP; NOP
    const cpu = run([0xb8, 0x00, 0x10, 0x00, 0x80, 0x0f, 0x22, 0xd8, 0x90, 0x90]);
    cpu.accountCr3();
    expect([...cpu.retiredPerCr3.keys()].sort()).toEqual([0, 0x80001000]);
    expect(cpu.retiredPerCr3.get(0x80001000)).toBe(2);
  });
});
