// The `lab` command as its users run it: a Node process of its own on
// grader/cli/lab.js, judged by its exit code and what it wrote. The
// environment is this one's without LAB_HIDDEN and LAB_COURSE, so that a
// developer's own settings cannot change what a test sees.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LAB_CLI = fileURLToPath(new URL('../grader/cli/lab.js', import.meta.url));

/** A finished `lab` process. */
export interface LabProcess {
  /** Its exit code; null when the timeout killed it. */
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface LabCliOptions {
  cwd?: string;
  /** Default 120 s: a hung command fails its test instead of the suite. */
  timeoutMs?: number;
  /** Variables set on top of the cleared environment. */
  env?: NodeJS.ProcessEnv;
  /** Another copy of the command, such as a released student repository's. */
  cli?: string;
  /** latin1 keeps every byte of guest output as one character. */
  stdoutEncoding?: 'utf8' | 'latin1';
}

export function runLab(args: readonly string[], opts: LabCliOptions = {}): LabProcess {
  const r = spawnSync(process.execPath, [opts.cli ?? LAB_CLI, ...args], {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, LAB_HIDDEN: '', LAB_COURSE: '', ...opts.env },
  });
  return { status: r.status, stdout: r.stdout.toString(opts.stdoutEncoding ?? 'utf8'), stderr: r.stderr.toString('utf8') };
}

/** `lab ARGS...` with the default options. */
export function lab(...args: string[]): LabProcess {
  return runLab(args);
}
