// Runs a lab's reference kernel under QEMU and on the lab PC with the same
// command line and modules, for the labs' "prints the same under QEMU" tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLab } from '../lab-cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BothRuns {
  qemu: { status: number | null; serial: string };
  engine: { status: number | null; serial: string };
}

/**
 * Build lab `n` and boot its kernel both ways; `programs` are lab program
 * names loaded as modules. QEMU gives a module its path as its command line,
 * `lab run` names it as the grader does (the file's name without .elf), so
 * both run in a directory where each program is a link named after it: there
 * the two command lines, and the kernel's process names, are the same.
 */
export function runBoth(n: number, cmdline: string, programs: string[] = []): BothRuns {
  const built = runLab(['build', String(n)], { cwd: ROOT });
  const kernel = built.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((w) => w[0] === 'kernel')?.[1];
  if (built.status !== 0 || !kernel) throw new Error(`lab build ${n} failed: ${built.stderr}`);
  const buildDir = dirname(join(ROOT, kernel));
  const dir = mkdtempSync(join(tmpdir(), 'ringlab-qemu-'));
  try {
    symlinkSync(join(buildDir, 'kernel.elf'), join(dir, 'kernel.elf'));
    for (const p of new Set(programs)) symlinkSync(join(buildDir, 'programs', `${p}.elf`), join(dir, p));
    const q = spawnSync('qemu-system-i386', [
      '-kernel', 'kernel.elf', '-append', cmdline, '-m', '32', '-serial', 'stdio', '-display', 'none', '-monitor', 'none',
      '-no-reboot', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1',
      ...(programs.length ? ['-initrd', programs.join(',')] : []),
    ], { cwd: dir, timeout: 60_000 });
    const e = runLab(['run', '--kernel', 'kernel.elf', '--cmdline', cmdline, ...programs.flatMap((p) => ['--module', p])], {
      cwd: dir, timeoutMs: 60_000, stdoutEncoding: 'latin1',
    });
    const serial = (text: string) => text.replace(/\r/g, '');
    return { qemu: { status: q.status, serial: serial(q.stdout.toString('latin1')) }, engine: { status: e.status, serial: serial(e.stdout) } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
