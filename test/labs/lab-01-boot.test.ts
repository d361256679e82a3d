// Lab 1 as an instructor relies on it: the reference kernel earns full marks
// (public and hidden tests), every mutant loses the points it must, and the
// released starter repository builds and gets exactly the declared starter score.
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 1: boot, serial console and GDT', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({ number: 1, slug: '01-boot', fullScore: 60, minTests: 10, solvedFile: 'gdt.c' });

  it("the reference kernel prints the same under QEMU as on the lab PC, but for what QEMU's loader reports differently", needs('qemu'), () => {
    const { qemu, engine } = runBoth(1, 'lab=1');
    expect(engine.status).toBe(1);
    expect(qemu.status).toBe(1);
    // QEMU's memory map reserves the top 128 KiB, its command line starts with the kernel path,
    // and it sets one more Multiboot flag (handout, section 8): those lines are compared elsewhere.
    const comparable = (serial: string) => serial.split('\n').filter((l) => !/^(multiboot|cmdline|mmap|memory):/.test(l));
    expect(comparable(engine.serial)).toContain('lab1: ok');
    expect(comparable(qemu.serial)).toEqual(comparable(engine.serial));
  });
});
