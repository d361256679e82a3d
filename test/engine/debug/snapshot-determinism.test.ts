// Reverse debugging rests on one property: a machine put back to a snapshot
// and run on to a later step is, at that step, the machine that got there
// without going back: the same registers, RAM, TLB and devices, and the
// host saw the same events and serial output, none of them twice. Checked
// over lab 3's reference kernel running programs that fault, trap, yield
// and take timer interrupts, at points drawn with a fixed seed.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../../grader/course/labs.ts';
import { buildForTests } from '../../../grader/grade.ts';
import { Machine, type MachineSnapshot } from '../../../engine/machine.ts';
import type { MachineConfig } from '../../../engine/config.ts';
import type { OutputSource } from '../../../engine/devices/output.ts';
import { TLB_CODE } from '../../../engine/memory/tlb.ts';
import { needs } from '../../host-tools.ts';
import { buildKernel } from '../../fixtures/guest/build-guest.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const PROGRAMS = ['hello', 'yielder', 'divzero', 'uwrite', 'int3', 'hello'];
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

/**
 * A machine with everything the host sees of it written down: each event,
 * and the output (as one text: where it is cut into chunks depends on where
 * the run paused, and means nothing).
 */
function watched(config: MachineConfig): { machine: Machine; seen: string[]; output: () => Record<OutputSource, string> } {
  const seen: string[] = [];
  const text: Record<OutputSource, string> = { com1: '', debugcon: '' };
  const machine = new Machine(config, { onOutput: (chunk, source) => { text[source] += Buffer.from(chunk).toString('latin1'); } });
  machine.subscribe((e) => seen.push(JSON.stringify(e)));
  return { machine, seen, output: () => ({ ...text }) };
}

function runTo(machine: Machine, step: number): void {
  const left = step - machine.debugSteps;
  if (left > 0) machine.debugRun({ steps: left, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
  expect(machine.debugSteps).toBe(step);
}

/** Everything a guest could observe of the machine, and its counters. */
function fingerprint(machine: Machine): unknown {
  const tlb = machine.cpu.tlb.save();
  const entries = new Map<number, number>();
  // The code mark is the code cache's, not the guest's (memory/tlb.ts).
  tlb.pages.forEach((page, i) => entries.set(page, tlb.entries[i]! & ~TLB_CODE));
  return {
    registers: machine.registers(),
    flags: machine.cpu.getFlags(),
    ram: createHash('sha256').update(machine.ram).digest('hex'),
    tlb: [...entries].filter(([, e]) => e !== 0).sort((a, b) => a[0] - b[0]),
    pic: machine.pic.state(),
    pit: machine.pit.state(),
    apic: machine.apic.state(),
    ioApic: machine.ioApic.state(),
    counters: machine.counters(),
    now: machine.now(),
  };
}

/** xorshift32: the same points on every run. */
function seeded(seed: number): (below: number) => number {
  let s = seed;
  return (below) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % below;
  };
}

/**
 * Trials of snapshot at p, run on to r, back to p, then on to q past r, at
 * points drawn with a fixed seed: the run the host sees is 0..q once, and
 * the machine at q is the one that got there without going back.
 */
function restoresRunOn(config: MachineConfig, length: number, trials: number): void {
  const pick = seeded(0x9e3779b9);
  for (let trial = 0; trial < trials; trial++) {
    // snapshot at p, run on to r, back to p, then on to q past r: the run the host sees is 0..q once.
    // Half the trials go back into the boot, where the kernel waits in HLT for the timer's ticks.
    const first = trial % 2 === 0 ? pick(Math.floor(length / 3)) : pick(length);
    const [p, r, q] = [first, pick(length), pick(length)].sort((a, b) => a - b) as [number, number, number];
    const straight = watched(config);
    const back = watched(config);
    try {
      runTo(straight.machine, q);
      runTo(back.machine, p);
      const snapshot: MachineSnapshot = back.machine.snapshot();
      runTo(back.machine, r);
      const atR = fingerprint(back.machine);
      back.machine.restore(snapshot);
      runTo(back.machine, q);
      expect(fingerprint(back.machine), `trial ${trial}: steps ${p}, ${r}, ${q}`).toEqual(fingerprint(straight.machine));
      expect(back.seen, `trial ${trial}: the events the host saw`).toEqual(straight.seen);
      expect(back.output(), `trial ${trial}: the output the host saw`).toEqual(straight.output());
      // And the state at r came back on the way (restoring twice gives the same machine again).
      back.machine.restore(snapshot);
      runTo(back.machine, r);
      expect(fingerprint(back.machine)).toEqual(atR);
    } finally {
      straight.machine.release();
      back.machine.release();
    }
  }
}

describe('restoring a machine snapshot', needs('gcc', 'bwrap'), () => {
  let config: MachineConfig;
  let length: number;
  let kinds: Set<string>;
  beforeAll(async () => {
    const built = await buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), 3));
    if (!built.ok) throw new Error(built.log);
    const modules = PROGRAMS.map((name) => ({ name, bytes: built.inputs.programs[name]!, cmdline: name }));
    // ticks=3: the kernel waits in HLT for timer interrupts before it starts the programs.
    config = { kernel: built.inputs.kernel, cmdline: 'ticks=3', modules, maxInstructions: 50_000_000 };
    const { machine, seen } = watched(config);
    const end = machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
    expect('reason' in end && end.reason).toBe('debug-exit');
    length = machine.debugSteps;
    kinds = new Set(seen.map((s) => /"kind":"(\w+)"/.exec(s)?.[1]).filter((k) => k !== undefined));
    machine.release();
  });

  it('then running on reaches the same machine, and the host sees the run once, as without going back', () => {
    // The run holds what is hard to replay: faults, system calls and timer interrupts, from ring 3 and ring 0.
    expect([...kinds].sort()).toEqual(['exception', 'external', 'software']);
    restoresRunOn(config, length, 10);
  });

  it('brings back a run that had ended, and ends it the same way again', () => {
    const { machine, seen, output } = watched(config);
    try {
      const snapshot = machine.snapshot();
      const first = machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      const seenOnce = [...seen];
      const outputOnce = output();
      expect(outputOnce.com1).toContain('all processes done');
      expect(seenOnce.filter((s) => s.includes('"type":"end"'))).toHaveLength(1);
      machine.restore(snapshot);
      expect(machine.debugSteps).toBe(0);
      expect(machine.registers().eax).toBe(0x2badb002);
      const again = machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      expect(again).toEqual(first);
      expect(seen).toEqual(seenOnce);
      expect(output()).toEqual(outputOnce);
    } finally {
      machine.release();
    }
  });
});

describe('a restored TLB', needs('gcc'), () => {
  it('keeps the stale translation a kernel that forgot INVLPG relies on, as the run did before going back', async () => {
    // stale-tlb.c edits a PTE without INVLPG, spins, then reads through the stale entry and prints what it read.
    const kernel = readFileSync(await buildKernel([fileURLToPath(new URL('../../fixtures/compiled-code/stale-tlb.c', import.meta.url))]));
    const { machine, output } = watched({ kernel });
    try {
      const end = new Machine({ kernel });
      end.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      const length = end.debugSteps;
      end.release();
      // Half-way: in the spin, after the edit, with the old translation cached.
      runTo(machine, Math.floor(length / 2));
      const snapshot = machine.snapshot();
      machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      machine.restore(snapshot);
      // Let the host see the second ending too, to compare the two.
      machine.forgetReplay();
      machine.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      expect(output().debugcon + output().com1).toMatch(/^(stale A, after invlpg B\n){2}$/);
    } finally {
      machine.release();
    }
  });
});

describe('restoring a snapshot of a kernel that programs the APICs', needs('gcc'), () => {
  it('brings back the local APIC (timer, TPR, IRR, ISR) and the I/O APIC entries, and the run goes on the same', async () => {
    // apic.c: self-IPIs, the one-shot and periodic timer, the PIT through I/O APIC pin 2; short waits, since
    // it runs step by step (the one-shot count of 2,000,000 alone made 16 million steps, and the test 28 s).
    const system = fileURLToPath(new URL('../../fixtures/system/', import.meta.url));
    const sources = ['sys-entry.S', 'sys.c', 'apic.c'].map((f) => join(system, f));
    const kernel = readFileSync(await buildKernel(sources, { defines: { WAIT_LOOPS: 1000, ONE_SHOT_COUNT: 20_000 } }));
    const config: MachineConfig = { kernel, maxInstructions: 50_000_000 };
    const whole = new Machine(config);
    const end = whole.debugRun({ steps: Infinity, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
    expect('reason' in end && end.reason).toBe('debug-exit');
    const length = whole.debugSteps;
    whole.release();
    restoresRunOn(config, length, 6);
  });
});
