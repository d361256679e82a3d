// Lab 6's question on the lab PC's cycle model: ring-3 code times system
// calls with RDTSC (test/fixtures/system/syscall-cost.c). A SYSENTER +
// SYSEXIT round trip must cost less than INT 0x80 + IRET, and that less than
// the same with two CR3 writes in the handler, by exactly the margins the
// cost table (engine/cpu/cycle-model.ts) sets, every run, compiled or not.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import { CYCLES } from '../../engine/cpu/cycle-model.ts';
import { buildKernel } from '../fixtures/guest/build-guest.ts';

const SYSTEM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/system');

/** The RDTSC difference each case reported in EAX, by case name. */
async function measuredCycles(compile: boolean): Promise<Map<string, number>> {
  const kernel = readFileSync(await buildKernel(['sys-entry.S', 'sys.c', 'syscall-cost.c'].map((f) => path.join(SYSTEM_DIR, f))));
  let serial = '';
  const m = new Machine({ kernel, compile, compileThreshold: 1, maxInstructions: 10_000_000 }, {
    onOutput: (chunk) => { serial += Buffer.from(chunk).toString('latin1'); },
  });
  try {
    expect(m.run().reason).toBe('debug-exit');
  } finally {
    m.release();
  }
  const cases = new Map<string, number>();
  for (const [, name, eax] of serial.matchAll(/case (\w+)@ring3\n {2}done cs=001b eax=([0-9a-f]{8})/g)) cases.set(name!, parseInt(eax!, 16));
  return cases;
}

describe('what a system call costs (lab 6)', () => {
  it('SYSENTER + SYSEXIT < INT 0x80 + IRET < the same with two CR3 writes, by the modelled margins', async () => {
    const cycles = await measuredCycles(true);
    const timing = cycles.get('f_nothing')!;
    // RDTSC's own cost and the MOV that keeps its first reading.
    expect(timing).toBe(CYCLES.RDTSC + CYCLES.instruction);
    const call = cycles.get('f_call')! - timing;
    const sysenter = cycles.get('f_sysenter')! - timing - CYCLES.instruction; // its case sets EDX after RDTSC
    const int80 = cycles.get('f_int80')! - timing;
    const isolated = cycles.get('f_int82')! - timing;
    expect(call).toBe(2 * (CYCLES.instruction + CYCLES.takenBranch));
    expect(sysenter).toBe(CYCLES.sysenter + CYCLES.sysexit);
    expect(int80).toBe(CYCLES.intToInnerRing + CYCLES.iretToOuterRing);
    // The handler's PUSH, MOV from CR3 and POP, and its two CR3 writes.
    expect(isolated).toBe(int80 + 3 * CYCLES.instruction + 2 * CYCLES.movToCr3);
    expect(call).toBeLessThan(sysenter);
    expect(sysenter).toBeLessThan(int80);
    expect(int80).toBeLessThan(isolated);
  });

  it('reads the same on the interpreter alone', async () => {
    expect(await measuredCycles(false)).toEqual(await measuredCycles(true));
  });
});
