// Lab 3 as an instructor relies on it: the reference kernel earns full marks
// (public and hidden tests), every mutant loses the points it must, and the
// released starter repository builds and gets exactly the declared starter score.
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 3: user mode, system calls and killing processes that fault', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({ number: 3, slug: '03-usermode', fullScore: 100, minTests: 30, solvedFile: 'proc.c' });

  it('the reference kernel prints the same process lines under QEMU as on the lab PC', needs('qemu'), () => {
    const { qemu, engine } = runBoth(3, '', ['kread', 'yielder', 'iret0', 'sys-kptr', 'yielder', 'hello']);
    // The boot lines differ (memory map, command line); from the first process on they must not.
    const fromExec = (serial: string) => serial.slice(serial.indexOf('exec pid 1:'));
    expect(qemu.status).toBe(1);
    expect(engine.status).toBe(1);
    expect(fromExec(engine.serial)).toContain('exec pid 1: kread entry');
    expect(fromExec(engine.serial)).toContain('all processes done: 4 exited, 2 killed');
    expect(fromExec(qemu.serial)).toBe(fromExec(engine.serial));
  });
});
