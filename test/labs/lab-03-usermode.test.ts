// Lab 3 as an instructor relies on it: the reference kernel earns full marks
// (public and hidden tests), every mutant loses the points it must, and the
// released starter repository builds and gets exactly the declared starter score.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const LAB = fileURLToPath(new URL('../../grader/cli/lab.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HIDDEN = fileURLToPath(new URL('../../labs/03-usermode/hidden', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-lab3-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function lab(...args: string[]) {
  const r = spawnSync(process.execPath, [LAB, ...args], { timeout: 300_000, env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '' } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lab 3: user mode, system calls and killing processes that fault', () => {
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
  it('the reference kernel prints the same process lines under QEMU as on the lab PC', (ctx) => {
    const qemu = spawnSync('qemu-system-i386', ['--version']);
    if (qemu.status !== 0) ctx.skip();
    const built = lab('build', '3');
    expect(built.status).toBe(0);
    const kernel = built.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((w) => w[0] === 'kernel')?.[1];
    expect(kernel).toBeDefined();
    const dir = dirname(join(ROOT, kernel!));
    expect(existsSync(join(dir, 'kernel.elf'))).toBe(true);
    const programs = ['kread', 'yielder', 'iret0', 'sys-kptr', 'yielder', 'hello'];
    const q = spawnSync('qemu-system-i386', [
      '-kernel', 'kernel.elf', '-m', '32', '-serial', 'stdio', '-display', 'none', '-no-reboot',
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=1', '-initrd', programs.map((p) => `programs/${p}.elf ${p}`).join(','),
    ], { cwd: dir, timeout: 60_000 });
    const e = spawnSync(process.execPath, [LAB, 'run', '--kernel', 'kernel.elf', ...programs.flatMap((p) => ['--module', `programs/${p}.elf ${p}`])], { cwd: dir, timeout: 60_000 });
    // The boot lines differ (memory map, command line); from the first process on they must not.
    const fromExec = (out: Buffer) => out.toString().replace(/\r/g, '').slice(out.toString().replace(/\r/g, '').indexOf('exec pid 1:'));
    expect(q.status).toBe(1);
    expect(e.status).toBe(1);
    expect(fromExec(e.stdout)).toContain('all processes done: 4 exited, 2 killed');
    expect(fromExec(q.stdout)).toBe(fromExec(e.stdout));
  });
});
