// Lab 3 as an instructor relies on it: the reference kernel earns full marks
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
const HIDDEN = fileURLToPath(new URL('../../labs/03-usermode/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 300_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 3: user mode, system calls and killing processes that fault', needs('gcc', 'bwrap'), () => {
  it('the reference kernel scores full marks on the public and hidden tests', () => {
    const out = join(scratch, 'grade');
    const run = lab('grade', '3', '--hidden', HIDDEN, '--reveal', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.score).toBe(100);
    expect(results.tests.length).toBeGreaterThanOrEqual(30);
  });

  it('lab validate: every mutant fails the tests it names', () => {
    const run = lab('validate', '3');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISSED|PROBLEM/);
  });

  it('lab release: the student repository has no solutions and grades to the starter score', () => {
    const out = join(scratch, 'release');
    const run = lab('release', '3', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const source = readFileSync(join(out, 'labs/kernel/proc.c'), 'utf8');
    expect(source).not.toContain('BEGIN SOLUTION');
    expect(source).toContain('STUDENT lab3');
  });
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
