// Ctrl-C during a long reverse-continue (engine/debug/gdb-stub.ts): the
// search back runs one snapshot interval at a time and reads the connection
// between intervals, as a continue does. Interrupted, the machine must be
// exactly where a straight run puts it at that step, and gdb must be told
// SIGINT; a second reverse-continue then goes on to the start.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { GdbStub } from '../../../engine/debug/gdb-stub.ts';
import { framePacket } from '../../../engine/debug/rsp.ts';
import { SNAPSHOT_INTERVAL } from '../../../engine/debug/timeline.ts';
import { Machine } from '../../../engine/machine.ts';
import type { MachineConfig } from '../../../engine/config.ts';
import { buildKernel } from '../../fixtures/guest/build-guest.ts';
import { needs } from '../../host-tools.ts';

const BENCH = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bench/kernels');
const CTRL_C = Buffer.from([0x03]);

/** Registers and RAM: enough to tell two points of a run apart. */
function where(machine: Machine): string {
  return `${JSON.stringify(machine.registers())} ${createHash('sha256').update(machine.ram).digest('hex')}`;
}

/** A stub whose deferred work runs only when the test pumps it, so input can arrive between chunks. */
function pumpedStub(machine: Machine) {
  const queue: (() => void)[] = [];
  let sent = '';
  const stub = new GdbStub(machine, { send: (b) => { sent += Buffer.from(b).toString('latin1'); }, close: () => {}, defer: (fn) => queue.push(fn) });
  return {
    send(packet: string | Buffer) {
      stub.receive(typeof packet === 'string' ? framePacket(packet) : packet);
    },
    /** Runs up to `n` deferred chunks; how many there were. */
    pump(n = Infinity): number {
      let ran = 0;
      while (ran < n && queue.length > 0) {
        queue.shift()!();
        ran++;
      }
      return ran;
    },
    /** The stop replies sent so far, without the acks. */
    replies(): string[] {
      return [...sent.matchAll(/\$([^#]*)#/g)].map((m) => m[1]!);
    },
  };
}

describe('Ctrl-C during reverse-continue', needs('gcc'), () => {
  let config: MachineConfig;
  beforeAll(async () => {
    const kernel = await buildKernel([path.join(BENCH, 'paging-timer.c'), path.join(BENCH, 'workload.c')], { defines: { WORKLOAD_ROUNDS: 40 } });
    config = { kernel: readFileSync(kernel), maxInstructions: 1e10 };
  });

  it('stops the search where it has got to, as a straight run has it there, and a second one goes on to the start', () => {
    const machine = new Machine(config);
    try {
      const gdb = pumpedStub(machine);
      // Forward: a continue interrupted after some millions of steps, many snapshot intervals in.
      gdb.send('c');
      expect(gdb.pump(15)).toBe(15);
      gdb.send(CTRL_C);
      gdb.pump();
      expect(gdb.replies()).toEqual(['S02']);
      const end = machine.debugSteps;
      expect(end).toBeGreaterThan(10 * SNAPSHOT_INTERVAL);

      // Back, with nothing to stop at: interrupted after three intervals searched.
      gdb.send('bc');
      expect(gdb.pump(3)).toBe(3);
      gdb.send(CTRL_C);
      gdb.pump();
      expect(gdb.replies()).toEqual(['S02', 'S02']);
      const reached = machine.debugSteps;
      expect(reached).toBeLessThan(end - 2 * SNAPSHOT_INTERVAL);
      expect(reached).toBeGreaterThan(0);
      expect(reached % SNAPSHOT_INTERVAL).toBe(0);
      const here = where(machine);

      const straight = new Machine(config);
      try {
        straight.debugRun({ steps: reached, chunk: Infinity, breakpoints: new Set() });
        expect(straight.debugSteps).toBe(reached);
        expect(here).toBe(where(straight));
      } finally {
        straight.release();
      }

      // Not interrupted, the search goes on from there to the start of the recorded run.
      gdb.send('bc');
      gdb.pump();
      expect(gdb.replies().at(-1)).toBe('T05replaylog:begin;');
      expect(machine.debugSteps).toBe(0);
    } finally {
      machine.release();
    }
  });
});
