// Lab 2 as an instructor relies on it: the reference kernel earns full marks
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
const HIDDEN = fileURLToPath(new URL('../../labs/02-interrupts/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab2-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 300_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 2: interrupts, exceptions, PIC and PIT', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '2', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(70);
    expect(results.tests.length).toBeGreaterThanOrEqual(10);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '2');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
  });

  it('lab release: the student repository has no solutions and grades to the starter score', () => {
    const out = join(scratch, 'release');
    const run = lab('release', '2', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const source = readFileSync(join(out, 'labs/kernel/trap.c'), 'utf8');
    expect(source).not.toContain('BEGIN SOLUTION');
    expect(source).toContain('STUDENT lab2');
  });

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
