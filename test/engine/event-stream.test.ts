// The event stream is the order things happened in: each event carries the
// retired-instruction count and the modelled cycle count at which it
// happened, so the counts never go down, and a serial byte is an event at
// the OUT that wrote it, among the interrupts and returns around it (the
// grader's timelines and failure locations are read off these counts).
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const SYSTEM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/system');
const COM1_DATA = 0x3f8;

describe('the event stream', () => {
  it('is in execution order, with each serial byte at the OUT that wrote it', async () => {
    // timer.c prints from its IRQ 0 handler, between the interrupt and its IRET.
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'timer.c'].map((f) => path.join(SYSTEM_DIR, f))));
    for (const compile of [false, true]) {
      const m = new Machine({ kernel, compile, compileThreshold: 20, maxInstructions: 300_000_000 });
      const events: EngineEvent[] = [];
      m.subscribe((e) => events.push(e));
      const r = m.run();
      expect(r.reason).toBe('debug-exit');

      for (let i = 1; i < events.length; i++) {
        if (events[i]!.icount < events[i - 1]!.icount) {
          expect.fail(`event ${i} (${events[i]!.type} at ${events[i]!.icount}) comes after ${events[i - 1]!.type} at ${events[i - 1]!.icount}`);
        }
        // The modelled cycles never go down either, and every instruction costs at least one.
        if (events[i]!.cycles < events[i - 1]!.cycles || events[i]!.cycles < events[i]!.icount) {
          expect.fail(`event ${i} (${events[i]!.type}) has ${events[i]!.cycles} cycles at ${events[i]!.icount} instructions, after ${events[i - 1]!.cycles}`);
        }
      }

      const outputs = events.filter((e) => e.type === 'output');
      expect(outputs.length).toBeGreaterThan(100);
      const serialWrites = events.filter((e) => e.type === 'port' && e.write && e.port === COM1_DATA);
      expect(outputs.map((e) => e.icount)).toEqual(serialWrites.map((e) => e.icount));
      expect(outputs.map((e) => e.type === 'output' && e.byte)).toEqual(serialWrites.map((e) => e.type === 'port' && e.value));

      // What the handler printed lies between the timer interrupt and the IRET that ends it.
      const tick = events.findIndex((e) => e.type === 'interrupt' && e.vector === 0x20);
      expect(tick).toBeGreaterThan(0);
      const back = events.findIndex((e, i) => i > tick && e.type === 'iret');
      const printed = events.slice(tick, back).map((e) => (e.type === 'output' ? String.fromCharCode(e.byte) : '')).join('');
      expect(printed).toContain('vec=20');
    }
  });

  it('says, on the interrupt that wakes a halted CPU, how long HLT slept: with them, virtual time adds up', async () => {
    // timer.c has a case that runs STI; HLT in ring 0 and waits for IRQ 0.
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'timer.c'].map((f) => path.join(SYSTEM_DIR, f))));
    const m = new Machine({ kernel, maxInstructions: 300_000_000 });
    const events: EngineEvent[] = [];
    m.subscribe((e) => events.push(e), { ports: false });
    const r = m.run();
    expect(r.reason).toBe('debug-exit');
    const woke = events.filter((e) => e.type === 'interrupt' && e.halted !== undefined);
    expect(woke.length).toBeGreaterThan(0);
    expect(woke.every((e) => e.type === 'interrupt' && e.kind === 'external')).toBe(true);
    const slept = woke.reduce((sum, e) => sum + (e.type === 'interrupt' ? e.halted ?? 0 : 0), 0);
    expect(slept).toBeGreaterThan(0);
    expect(r.instructions + slept).toBe(m.now());
  });

  it('records a far CALL through a call gate into ring 0 and the far RET back to ring 3, with where each went', async () => {
    // call-gates.c calls DPL-3 gates to ring-0 and ring-1 code, which return with RET 8.
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'call-gates.c'].map((f) => path.join(SYSTEM_DIR, f))));
    for (const compile of [false, true]) {
      const m = new Machine({ kernel, compile, compileThreshold: 20, maxInstructions: 300_000_000 });
      const events: EngineEvent[] = [];
      m.subscribe((e) => events.push(e), { ports: false });
      expect(m.run().reason).toBe('debug-exit');
      const changes = events.filter((e) => e.type === 'far-call' || e.type === 'far-return');
      // Gate calls to ring 0 (once, then 30 times in a loop) and to ring 1, each with its return; same-ring
      // calls and failed checks emit nothing.
      const toRing0 = [['far-call', 3, 0, 0x08], ['far-return', 0, 3, 0x1b]];
      expect(changes.map((e) => e.type === 'far-call' || e.type === 'far-return' ? [e.type, e.fromCpl, e.toCpl, e.toCs] : [])).toEqual([
        ...Array.from({ length: 31 }, () => toRing0).flat(), ['far-call', 3, 1, 0x69], ['far-return', 1, 3, 0x1b],
      ]);
      // The callee is a handful of instructions: each return follows its call closely.
      for (let i = 0; i < changes.length; i += 2) {
        expect(changes[i + 1]!.icount - changes[i]!.icount).toBeGreaterThan(0);
        expect(changes[i + 1]!.icount - changes[i]!.icount).toBeLessThan(40);
      }
    }
  });

  it('records a double fault through a task gate as delivered via the task gate, and the task return as an IRET', async () => {
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'task-gate.c'].map((f) => path.join(SYSTEM_DIR, f))));
    const m = new Machine({ kernel, maxInstructions: 300_000_000 });
    const events: EngineEvent[] = [];
    m.subscribe((e) => events.push(e), { ports: false });
    expect(m.run().reason).toBe('debug-exit');
    const at = events.findIndex((e) => e.type === 'interrupt' && e.vector === 8);
    const df = events[at];
    expect(df?.type === 'interrupt' && [df.gate, df.fromCpl, df.toCpl, df.toCs, df.errorCode, df.frameBytes]).toEqual(['task', 3, 0, 0x08, 0, 4]);
    // The double-fault task's IRET (NT set) returns to the interrupted task in ring 3: a privilege change like any IRET's.
    const back = events.slice(at + 1).find((e) => e.type === 'iret');
    expect(back?.type === 'iret' && [back.fromCpl, back.toCpl, back.toCs]).toEqual([0, 3, 0x1b]);
  });

  it('leaves port accesses out for a listener that asks so, and nothing else', async () => {
    const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'timer.c'].map((f) => path.join(SYSTEM_DIR, f))));
    const m = new Machine({ kernel, maxInstructions: 300_000_000 });
    const all: EngineEvent[] = [];
    const noPorts: EngineEvent[] = [];
    m.subscribe((e) => all.push(e));
    m.subscribe((e) => noPorts.push(e), { ports: false });
    m.run();
    expect(all.some((e) => e.type === 'port')).toBe(true);
    expect(noPorts.some((e) => e.type === 'port')).toBe(false);
    expect(noPorts).toEqual(all.filter((e) => e.type !== 'port'));
  });
});
