// Lab 6 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 6: SYSENTER, SYSEXIT and the vDSO) earns full marks, every
// mutant loses the points it must, the released starter (lab 5's kernel with
// lab 6's hints) builds and scores the starter score, and the reference
// prints the same under QEMU, whose CPU has SYSENTER too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { instructorWorkflow } from './instructor-workflow.ts';
import { runBoth } from './reference-under-qemu.ts';

describe('lab 6: system calls through SYSENTER and the vDSO', needs('gcc', 'bwrap'), () => {
  instructorWorkflow({
    number: 6, slug: '06-syscall-cost', fullScore: 108, minTests: 16, minHidden: 7, minMutants: 6, solvedFile: 'sysenter.S',
    release(out, stdout) {
      expect(stdout).toMatch(/the starter builds and scores 0\/70/);
      expect(readFileSync(join(out, 'labs/kernel/sysenter.S'), 'utf8')).not.toMatch(/^\s+sysexit$/m); // the entry's return is the student's to write
      expect(readFileSync(join(out, 'labs/kernel/proc.c'), 'utf8')).toContain('scheduler_context'); // lab 5's solution, the starting point
    },
  });

  it('the reference kernel prints the same lines under QEMU as on the lab PC, through SYSENTER there too', needs('qemu'), () => {
    // The boot lines differ (memory map, command line, so the free-frame count); from the first process on they must not.
    const lines = (serial: string) => serial.slice(serial.indexOf('exec pid 1:')).replace(/^(ticks pid|free frames).*\n/gm, '');
    // Where a child ends while its parent runs, the timer decides the order (QEMU's PIT follows the
    // host's clock; a tick once put "exit pid 2" before the parent's line): the same lines, in any order.
    const sorted = (serial: string) => lines(serial).split('\n').sort().join('\n');
    const forks = new Set(['fork-isolation', 'kptr']);
    for (const program of ['hello', 'fork-isolation', 'kptr', 'abi', 'vdso-write']) {
      const { qemu, engine } = runBoth(6, '', [program]);
      expect(engine.status, program).toBe(1);
      expect(qemu.status, program).toBe(1);
      expect(engine.serial, program).toContain('fastcall: vdso at 0xbffbf000 uses sysenter');
      expect(qemu.serial, program).toContain('fastcall: vdso at 0xbffbf000 uses sysenter');
      expect(lines(engine.serial), program).toMatch(/all processes done/);
      if (forks.has(program)) expect(sorted(qemu.serial), program).toBe(sorted(engine.serial));
      else expect(lines(qemu.serial), program).toBe(lines(engine.serial));
    }
  });
});
