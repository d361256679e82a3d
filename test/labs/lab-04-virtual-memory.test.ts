// Lab 4 as an instructor relies on it: the reference kernel (the course tree
// staged to lab 4: higher half, an address space per process) earns full
// marks, every mutant loses the points it must, the released starter (lab 3's
// kernel with lab 4's hints) builds and scores the starter score, and the
// reference runs the same under QEMU.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runBoth } from './reference-under-qemu.ts';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const HIDDEN = fileURLToPath(new URL('../../labs/04-virtual-memory/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab4-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 600_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 4: an address space per process, the kernel in the top gigabyte', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '4', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(150);
    expect(results.tests.length).toBeGreaterThanOrEqual(25);
    expect(results.tests.filter((t: { visibility: string }) => t.visibility === 'hidden').length).toBeGreaterThanOrEqual(10);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '4', '--hidden', HIDDEN);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
    expect(run.stdout).toMatch(/2[0-9] of 2[0-9] mutants are caught/);
  });

  it("lab release: the starter is lab 3's kernel with lab 4's hints, builds, and scores the starter score", () => {
    const out = join(scratch, 'release');
    const run = lab('release', '4', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const vm = readFileSync(join(out, 'labs/kernel/vm.c'), 'utf8');
    expect(vm).not.toMatch(/BEGIN SOLUTION|BEFORE lab/);
    expect(vm).toContain('STUDENT lab4');
    expect(vm).toContain('pgdir[PDX(pa)] = pa | PTE_PS | PTE_W | PTE_P;'); // lab 3's solution, the starting point
    expect(vm).not.toContain('kpgtabs');
    expect(readFileSync(join(out, 'labs/kernel/kernel.ld'), 'utf8')).toContain('. = 0x100000;');
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
