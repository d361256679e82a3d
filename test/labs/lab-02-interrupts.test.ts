// Lab 2 as an instructor relies on it: the reference kernel earns full marks
// (public and hidden tests), every mutant loses the points it must, and the
// released starter repository builds and gets exactly the declared starter score.
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 2: interrupts, exceptions, PIC and PIT', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({ number: 2, slug: '02-interrupts', fullScore: 70, minTests: 10, solvedFile: 'trap.c' });

  it('the reference kernel prints the same from "lab1: ok" on under QEMU as on the lab PC', needs('qemu'), () => {
    const { qemu, engine } = runBoth(2, 'ticks=10 int80');
    expect(engine.status).toBe(1);
    expect(qemu.status).toBe(1);
    const fromLab2 = (serial: string) => serial.slice(serial.indexOf('lab1: ok'));
    expect(fromLab2(engine.serial)).toContain('ticks: 10');
    expect(fromLab2(engine.serial)).toContain('syscall 42');
    expect(fromLab2(qemu.serial)).toBe(fromLab2(engine.serial));
  });
});
