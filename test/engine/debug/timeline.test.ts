// The debugger's timeline (engine/debug/timeline.ts) without gdb: with
// snapshots a few hundred steps apart, so that going back crosses many of
// them (and their thinning on a long run), every reverse move must land
// where a straight run says it should, on lab 3's reference kernel.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../../grader/course/labs.ts';
import { buildForTests } from '../../../grader/grade.ts';
import { Machine } from '../../../engine/machine.ts';
import type { MachineConfig } from '../../../engine/config.ts';
import { Timeline } from '../../../engine/debug/timeline.ts';
import { WatchSet } from '../../../engine/debug/watches.ts';
import { needs } from '../../host-tools.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const NO_BREAKPOINTS: ReadonlySet<number> = new Set();
const INTERVAL = 700;

/** Registers and RAM: enough to tell two points of the run apart. */
function where(machine: Machine): string {
  return `${JSON.stringify(machine.registers())} ${createHash('sha256').update(machine.ram).digest('hex')}`;
}

/** What a straight run (no going back) shows at each step, and where each step's pc is. */
interface Straight {
  at: (step: number) => string;
  pcs: number[];
}

describe('the debugger timeline', needs('gcc', 'bwrap'), () => {
  let config: MachineConfig;
  let straight: Straight;
  let esp0: number;
  let multibootInfo: number;
  beforeAll(async () => {
    const lab = findLab(join(REPO, 'labs'), 3);
    const built = await buildForTests(join(REPO, 'labs'), lab);
    if (!built.ok) throw new Error(built.log);
    config = { kernel: built.inputs.kernel, modules: [{ name: 'hello', bytes: built.inputs.programs.hello!, cmdline: 'hello' }] };
    const machine = new Machine(config);
    const pcs: number[] = [];
    multibootInfo = machine.registers().ebx;
    for (;;) {
      pcs.push(machine.pc());
      const outcome = machine.debugRun({ steps: 1, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      if (!('pause' in outcome)) break;
    }
    // The TSS's ESP0 (4 bytes into it), a location the kernel writes once it has a process to run.
    esp0 = machine.tss()!.base + 4;
    machine.release();
    straight = {
      pcs,
      at: (step) => {
        const m = new Machine(config);
        try {
          if (step > 0) m.debugRun({ steps: step, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
          return where(m);
        } finally {
          m.release();
        }
      },
    };
  });

  /** A machine run `steps` steps forward under a timeline with snapshots `interval` apart, for `use`; released after. */
  function debugged(steps: number, interval: number, use: (machine: Machine, timeline: Timeline) => void): void {
    const machine = new Machine(config);
    try {
      const timeline = new Timeline(machine, interval);
      timeline.run({ steps, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      use(machine, timeline);
    } finally {
      machine.release();
    }
  }

  it('steps back to exactly the machine a straight run had one step earlier', () => {
    const end = straight.pcs.length - 2;
    debugged(end, INTERVAL, (machine, timeline) => {
      expect(timeline.cost.snapshots).toBeGreaterThan(10);
      for (const back of [1, 1, 1, INTERVAL - 1, 1]) {
        for (let i = 0; i < back; i++) expect(timeline.stepBack()).toEqual({ stop: 'step' });
        expect(where(machine), `at step ${timeline.position}`).toBe(straight.at(timeline.position));
      }
      expect(timeline.position).toBe(end - 3 - (INTERVAL - 1) - 1);
    });
  });

  it('reverse-continues to the last breakpoint hit, across snapshots, and to the start when there is none', () => {
    const end = straight.pcs.length - 2;
    debugged(end, INTERVAL, (machine, timeline) => {
      // An address run now and then: the last two times it ran, far apart.
      const counts = new Map<number, number[]>();
      straight.pcs.slice(0, end).forEach((pc, step) => counts.set(pc, [...(counts.get(pc) ?? []), step]));
      const [pc, steps] = [...counts].find(([, s]) => s.length >= 3 && s.at(-1)! - s.at(-2)! > 3 * INTERVAL && s.at(-1)! < end - 3 * INTERVAL)!;
      const breakpoints = new Set([pc]);
      const watches = new WatchSet(machine);
      expect(timeline.reverseContinue(breakpoints, watches)).toEqual({ stop: 'breakpoint' });
      expect(timeline.position).toBe(steps.at(-1));
      expect(timeline.reverseContinue(breakpoints, watches)).toEqual({ stop: 'breakpoint' });
      expect(timeline.position).toBe(steps.at(-2));
      expect(timeline.reverseContinue(NO_BREAKPOINTS, watches)).toEqual({ stop: 'begin' });
      expect(timeline.position).toBe(0);
      expect(where(machine)).toBe(straight.at(0));
      expect(timeline.stepBack()).toEqual({ stop: 'begin' });
    });
  });

  it('reverse-continues to just before the step that last wrote a watched location', () => {
    const end = straight.pcs.length - 2;
    debugged(end, INTERVAL, (machine, timeline) => {
      const watches = new WatchSet(machine);
      watches.add(esp0, 4);
      const now = machine.peekLinear(esp0, 4)!;
      expect(Buffer.from(now).readUInt32LE(0)).not.toBe(0);
      expect(timeline.reverseContinue(NO_BREAKPOINTS, watches)).toEqual({ stop: 'watchpoint', address: esp0, kind: 'write' });
      // Before the write: the old value; one step forward, the new one.
      expect(Buffer.from(machine.peekLinear(esp0, 4)!).readUInt32LE(0)).toBe(0);
      timeline.run({ steps: 1, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      expect(machine.peekLinear(esp0, 4)).toEqual(now);
    });
  });

  it('reverse-continues to the instruction that last read a location a read watchpoint watches', () => {
    const end = straight.pcs.length - 2;
    debugged(end, INTERVAL, (machine, timeline) => {
      const watches = new WatchSet(machine);
      // The Multiboot information's flags, which the kernel reads as it boots.
      watches.addAccess(multibootInfo, 4, 'read');
      expect(timeline.reverseContinue(NO_BREAKPOINTS, watches)).toEqual({ stop: 'watchpoint', address: multibootInfo, kind: 'read' });
      const readAt = timeline.position;
      // Forward one step from there: that instruction is the read.
      timeline.run({ steps: 1, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      expect(machine.cpu.accessWatch.take()).toEqual({ address: multibootInfo, kind: 'read' });
      expect(timeline.position).toBe(readAt + 1);
    });
  });

  it('keeps what the debugger changed when it goes back past the change and forward again', () => {
    const mid = Math.floor(straight.pcs.length / 2);
    // A snapshot every 10 steps: a thousand of them are thinned, many times over, on the way.
    debugged(mid, 10, (machine, timeline) => {
      expect(timeline.cost.snapshots).toBeLessThanOrEqual(1024);
      expect(timeline.cost.interval).toBeGreaterThan(10);
      machine.cpu.r32[1] = 0x1234567; // ECX, as gdb's `set $ecx` would
      timeline.edited();
      const edited = where(machine);
      timeline.run({ steps: 50, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      for (let i = 0; i < 60; i++) timeline.stepBack();
      timeline.run({ steps: 10, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
      expect(timeline.position).toBe(mid);
      expect(where(machine)).toBe(edited);
      expect(edited).not.toBe(straight.at(mid));
    });
  });
});
