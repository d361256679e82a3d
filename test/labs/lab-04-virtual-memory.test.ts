// Lab 4 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 4: higher half, an address space per process) earns full
// marks, every mutant loses the points it must, the released starter (lab 3's
// kernel with lab 4's hints) builds and scores the starter score, and the
// reference runs the same under QEMU.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 4: an address space per process, the kernel in the top gigabyte', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({
    number: 4, slug: '04-virtual-memory', fullScore: 150, minTests: 25, minHidden: 10, minMutants: 10, solvedFile: 'vm.c',
    release(out) {
      const vm = readFileSync(join(out, 'labs/kernel/vm.c'), 'utf8');
      expect(vm).toContain('pgdir[PDX(pa)] = pa | PTE_PS | PTE_W | PTE_P;'); // lab 3's solution, the starting point
      expect(vm).not.toContain('kpgtabs');
      expect(readFileSync(join(out, 'labs/kernel/kernel.ld'), 'utf8')).toContain('. = 0x100000;');
    },
  });

  it('the reference kernel prints the same process lines under QEMU as on the lab PC', needs('qemu'), () => {
    const { qemu, engine } = runBoth(4, '', ['same-va', 'same-va', 'fork-isolation', 'kread-high', 'sbrk-shrink', 'stack-grow', 'cow-flush', 'badptr']);
    // The boot lines differ (memory map, command line, so the free-frame count); from the first process on they must not.
    const fromExec = (serial: string) => serial.slice(serial.indexOf('exec pid 1:')).replace(/^free frames: \d+\n/gm, '');
    expect(qemu.status).toBe(1);
    expect(engine.status).toBe(1);
    expect(fromExec(engine.serial)).toContain('fork-isolation: parent sees 3 and 30; child 9 (the one forked) exited with 42');
    expect(fromExec(engine.serial)).toContain('cow-flush: parent sees 2, child exited with 1');
    expect(fromExec(engine.serial)).toContain('all processes done: 8 exited, 2 killed');
    expect(fromExec(qemu.serial)).toBe(fromExec(engine.serial));
    // Each run gives back every frame it used.
    for (const serial of [qemu.serial, engine.serial]) {
      const counts = [...serial.matchAll(/^free frames: (\d+)$/gm)].map((m) => m[1]);
      expect(counts.length).toBe(2);
      expect(counts[0]).toBe(counts[1]);
    }
  });
});
