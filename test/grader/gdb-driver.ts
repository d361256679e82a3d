// Drives `lab run --gdb` with Debian's real gdb in batch mode, for the tests
// of the debugger: the lab PC waits for gdb, gdb runs the commands given
// and ends, and the test reads both sides' output.

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { LAB_CLI } from '../lab-cli.ts';
import { serveGdb } from '../../grader/cli/gdb-session.ts';
import type { RunResult } from '../../engine/config.ts';
import type { Machine } from '../../engine/machine.ts';

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
  const gdb = await runGdb(port, elf, commands);
  const labStatus = await ended;
  return { gdb, labStatus, labStderr, labStdout };
}

/**
 * Serves gdb on `machine` in this process (as `lab run --gdb` does) and runs
 * gdb on `elf` with `commands`; resolves to gdb's output and how the run ended.
 */
export async function debugMachineWithGdb(machine: Machine, elf: string, commands: string[]): Promise<{ gdb: string; result: RunResult }> {
  let listening: (port: string) => void = () => {};
  const port = new Promise<string>((resolve) => { listening = resolve; });
  const served = serveGdb(machine, '127.0.0.1:0', elf, (line) => listening(/127\.0\.0\.1:(\d+)/.exec(line)![1]!));
  const gdb = await runGdb(await port, elf, commands);
  return { gdb, result: await served };
}

/** Debian's gdb in batch mode on `elf`, attached to 127.0.0.1:`port`, running `commands`; its stdout and stderr. */
function runGdb(port: string, elf: string, commands: string[]): Promise<string> {
  const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), resolve(REPO, elf)];
  const gdb = spawn('gdb', args);
  // stdout then stderr, each whole: how the two interleave depends on the host's scheduling.
  let stdout = '';
  let stderr = '';
  gdb.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  gdb.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => gdb.kill(), 120_000);
  return new Promise((done) => gdb.on('close', () => {
    clearTimeout(timer);
    done(stdout + stderr);
  }));
}

const builtLabs = new Map<number, Promise<{ kernel: string; programs: Record<string, string> }>>();

/** Lab N's reference kernel and user programs, built with symbols (once per test file). */
export function buildLab(n: number): Promise<{ kernel: string; programs: Record<string, string> }> {
  let built = builtLabs.get(n);
  if (built === undefined) {
    built = buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), n)).then((b) => {
      if (!b.ok) throw new Error(b.log);
      return { kernel: b.files.kernel, programs: b.files.programs };
    });
    builtLabs.set(n, built);
  }
  return built;
}

/** Lab 3's reference kernel and its `hello` program: what most of the debugger tests debug. */
export async function buildLab3(): Promise<{ kernel: string; hello: string }> {
  const { kernel, programs } = await buildLab(3);
  return { kernel, hello: programs.hello! };
}
