// Lab 6 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 6: SYSENTER, SYSEXIT and the vDSO) earns full marks, every
// mutant loses the points it must, the released starter (lab 5's kernel with
// lab 6's hints) builds and scores the starter score, and the reference
// prints the same under QEMU, whose CPU has SYSENTER too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runBoth } from './reference-under-qemu.ts';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const HIDDEN = fileURLToPath(new URL('../../labs/06-syscall-cost/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab6-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 600_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 6: system calls through SYSENTER and the vDSO', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '6', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(102);
    expect(results.tests.length).toBeGreaterThanOrEqual(15);
    expect(results.tests.filter((t: { visibility: string }) => t.visibility === 'hidden').length).toBeGreaterThanOrEqual(6);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '6', '--hidden', HIDDEN);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
    expect(run.stdout).toMatch(/[89] of [89] mutants are caught/);
  });

  it("lab release: the starter is lab 5's kernel with lab 6's hints, builds, and scores the starter score", () => {
    const out = join(scratch, 'release');
    const run = lab('release', '6', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/the starter builds and scores 0\/70/);
    const entry = readFileSync(join(out, 'labs/kernel/sysenter.S'), 'utf8');
    expect(entry).not.toMatch(/BEGIN SOLUTION|BEFORE lab/);
    expect(entry).not.toMatch(/^\s+sysexit$/m); // the entry's return is the student's to write
    expect(entry).toContain('STUDENT lab6');
    expect(readFileSync(join(out, 'labs/kernel/proc.c'), 'utf8')).toContain('scheduler_context'); // lab 5's solution, the starting point
  });

  it('the reference kernel prints the same lines under QEMU as on the lab PC, through SYSENTER there too', needs('qemu'), () => {
    // The boot lines differ (memory map, command line, so the free-frame count); from the first process on they must not.
    const lines = (serial: string) => serial.slice(serial.indexOf('exec pid 1:')).replace(/^(ticks pid|free frames).*\n/gm, '');
    for (const program of ['hello', 'fork-isolation', 'kptr', 'abi', 'vdso-write']) {
      const { qemu, engine } = runBoth(6, '', [program]);
      expect(engine.status, program).toBe(1);
      expect(qemu.status, program).toBe(1);
      expect(engine.serial, program).toContain('fastcall: vdso at 0xbffbf000 uses sysenter');
      expect(qemu.serial, program).toContain('fastcall: vdso at 0xbffbf000 uses sysenter');
      expect(lines(engine.serial), program).toMatch(/all processes done/);
      expect(lines(qemu.serial), program).toBe(lines(engine.serial));
    }
  });
});
