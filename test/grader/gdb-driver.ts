// Drives `lab run --gdb` with Debian's real gdb in batch mode, for the tests
// of the debugger: the lab PC waits for gdb, gdb runs the commands given
// and ends, and the test reads both sides' output.

import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { LAB_CLI } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface GdbSession {
  gdb: string;
  labStatus: number | null;
  labStderr: string;
  labStdout: string;
}

/** Starts `lab run --gdb` on the kernel, then gdb with `commands`; resolves when both have ended. */
export function debugWithGdb(kernel: string, modules: string[], commands: string[]): Promise<GdbSession> {
  return debugLabWithGdb(['run', '--kernel', kernel, ...modules.flatMap((m) => ['--module', m])], commands);
}

/**
 * Starts lab with `args` and `--gdb` on a free port, then gdb on the kernel
 * file lab names in its "waiting for gdb" line, with `commands`; resolves
 * when both have ended.
 */
export async function debugLabWithGdb(args: string[], commands: string[]): Promise<GdbSession> {
  const lab = spawn(process.execPath, [LAB_CLI, ...args, '--gdb', '127.0.0.1:0'], { cwd: REPO });
  let labStderr = '';
  let labStdout = '';
  lab.stdout.on('data', (d: Buffer) => {
    labStdout += d.toString('latin1');
  });
  const { port, elf } = await new Promise<{ port: string; elf: string }>((resolve, reject) => {
    lab.stderr.on('data', (d: Buffer) => {
      labStderr += d.toString();
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+); in another terminal: gdb (\S+) -ex/.exec(labStderr);
      if (m) resolve({ port: m[1]!, elf: m[2]! });
    });
    lab.on('exit', () => reject(new Error(`lab ended before listening: ${labStderr}`)));
  });
  const ended = new Promise<number | null>((resolve) => lab.on('exit', (code) => resolve(code)));
  const gdbArgs = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), resolve(REPO, elf)];
  const gdb = spawnSync('gdb', gdbArgs, { encoding: 'utf8', timeout: 120_000 });
  const labStatus = await ended;
  return { gdb: `${gdb.stdout}${gdb.stderr}`, labStatus, labStderr, labStdout };
}

let lab3: Promise<{ kernel: string; hello: string }> | undefined;

/** Lab 3's reference kernel and its `hello` program, built with symbols (once per test file): what the debugger tests debug. */
export function buildLab3(): Promise<{ kernel: string; hello: string }> {
  lab3 ??= buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), 3)).then((built) => {
    if (!built.ok) throw new Error(built.log);
    return { kernel: built.files.kernel, hello: built.files.programs.hello! };
  });
  return lab3;
}
