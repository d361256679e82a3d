// Lab 5 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 5: a kernel stack per process, the timer preempting ring 3)
// earns full marks, every mutant loses the points it must, the released
// starter (lab 4's kernel with lab 5's hints) builds and scores the starter
// score, and the reference prints the same under QEMU, where the PIT follows
// the host's clock: programs whose output does not depend on when ticks come.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runBoth } from './reference-under-qemu.ts';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const HIDDEN = fileURLToPath(new URL('../../labs/05-preemption/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab5-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 600_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 5: the kernel takes the CPU back', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '5', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(138);
    expect(results.tests.length).toBeGreaterThanOrEqual(20);
    expect(results.tests.filter((t: { visibility: string }) => t.visibility === 'hidden').length).toBeGreaterThanOrEqual(8);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '5', '--hidden', HIDDEN);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
    expect(run.stdout).toMatch(/1[0-9] of 1[0-9] mutants are caught/);
  });

  it("lab release: the starter is lab 4's kernel with lab 5's hints, builds, and scores the starter score", () => {
    const out = join(scratch, 'release');
    const run = lab('release', '5', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/the starter builds and scores 16\/88/);
    const proc = readFileSync(join(out, 'labs/kernel/proc.c'), 'utf8');
    expect(proc).not.toMatch(/BEGIN SOLUTION|BEFORE lab/);
    expect(proc).toContain('STUDENT lab5');
    expect(proc).toContain('pgdir_copy(child->pgdir, curproc->pgdir)'); // lab 4's solution, the starting point
    expect(proc).not.toContain('scheduler_context');
    expect(readFileSync(join(out, 'labs/kernel/swtch.S'), 'utf8')).not.toMatch(/pushl\s+%ebx/);
  });

  it('the reference kernel prints the same lines under QEMU as on the lab PC', needs('qemu'), () => {
    // Tick counts differ (QEMU's PIT runs on the host's clock), and so do the boot lines.
    const lines = (serial: string) => serial.slice(serial.indexOf('exec pid 1:')).replace(/^(ticks pid|free frames).*\n/gm, '');
    // Where children end in an order the ticks decide, the same lines, in any order.
    const sorted = (serial: string) => lines(serial).split('\n').sort().join('\n');
    // regs is left out: it prints whether it ran past tick 10, which depends on QEMU's speed.
    const programs = [['spin-print', true], ['pingpong', true], ['order', true], ['sleeper', true], ['idle', true], ['fair', false], ['killer', false], ['forkloop', false], ['statuses', false]] as const;
    for (const [program, ordered] of programs) {
      const { qemu, engine } = runBoth(5, '', [program]);
      expect(engine.status, program).toBe(1);
      expect(qemu.status, program).toBe(1);
      expect(lines(engine.serial), program).toMatch(/all processes done/);
      if (ordered) expect(lines(qemu.serial), program).toBe(lines(engine.serial));
      else expect(sorted(qemu.serial), program).toBe(sorted(engine.serial));
    }
  });
});
