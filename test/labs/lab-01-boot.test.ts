// Lab 1 as an instructor relies on it: the reference kernel earns full marks
// (public and hidden tests), every mutant loses the points it must, and the
// released starter repository builds and gets exactly the declared starter score.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runBoth } from './reference-under-qemu.ts';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const HIDDEN = fileURLToPath(new URL('../../labs/01-boot/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab1-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 300_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 1: boot, serial console and GDT', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '1', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(60);
    expect(results.tests.length).toBeGreaterThanOrEqual(10);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '1');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
  });

  it('lab release: the student repository has no solutions and grades to the starter score', () => {
    const out = join(scratch, 'release');
    const run = lab('release', '1', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const gdt = readFileSync(join(out, 'labs/kernel/gdt.c'), 'utf8');
    expect(gdt).not.toContain('BEGIN SOLUTION');
    expect(gdt).toContain('STUDENT lab1');
  });

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
