// Lab 5 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 5: a kernel stack per process, the timer preempting ring 3)
// earns full marks, every mutant loses the points it must, the released
// starter (lab 4's kernel with lab 5's hints) builds and scores the starter
// score, and the reference prints the same under QEMU, where the PIT follows
// the host's clock: programs whose output does not depend on when ticks come.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 5: the kernel takes the CPU back', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({
    number: 5, slug: '05-preemption', fullScore: 138, minTests: 20, minHidden: 8, minMutants: 8, solvedFile: 'proc.c',
    release(out, stdout) {
      expect(stdout).toMatch(/the starter builds and scores 16\/88/);
      const proc = readFileSync(join(out, 'labs/kernel/proc.c'), 'utf8');
      expect(proc).toContain('pgdir_copy(child->pgdir, curproc->pgdir)'); // lab 4's solution, the starting point
      expect(proc).not.toContain('scheduler_context');
      expect(readFileSync(join(out, 'labs/kernel/swtch.S'), 'utf8')).not.toMatch(/pushl\s+%ebx/);
    },
  });

  it('the reference kernel prints the same lines under QEMU as on the lab PC', needs('qemu'), () => {
    // Tick counts differ (QEMU's PIT runs on the host's clock), and so do the boot lines.
    const lines = (serial: string) => serial.slice(serial.indexOf('exec pid 1:')).replace(/^(ticks pid|free frames).*\n/gm, '');
    // Where children end in an order the ticks decide, the same lines, in any order.
    const sorted = (serial: string) => lines(serial).split('\n').sort().join('\n');
    // pingpong's two processes take turns strictly, but which goes first depends on whether a tick
    // comes between fork and the parent's first line: the same lines but for who said them, taking turns.
    const turns = (serial: string) => lines(serial).replace(/p[io]ng \d/g, (said) => `p?ng ${said.slice(-1)}`);
    const speakers = (serial: string) => [...lines(serial).matchAll(/pingpong: (p[io]ng)/g)].map((m) => m[1]).join(' ');
    // regs is left out: it prints whether it ran past tick 10, which depends on QEMU's speed.
    const programs = [['spin-print', true], ['pingpong', true], ['order', true], ['sleeper', true], ['idle', true], ['fair', false], ['killer', false], ['forkloop', false], ['statuses', false]] as const;
    for (const [program, ordered] of programs) {
      const { qemu, engine } = runBoth(5, '', [program]);
      expect(engine.status, program).toBe(1);
      expect(qemu.status, program).toBe(1);
      expect(lines(engine.serial), program).toMatch(/all processes done/);
      if (program === 'pingpong') {
        expect(turns(qemu.serial), program).toBe(turns(engine.serial));
        for (const serial of [qemu.serial, engine.serial]) expect(speakers(serial), program).toMatch(/^(ping pong ?|pong ping ?){5}$/);
      } else if (ordered) expect(lines(qemu.serial), program).toBe(lines(engine.serial));
      else expect(sorted(qemu.serial), program).toBe(sorted(engine.serial));
    }
  });
});
