// Runs the compiler and linker on hostile sources. Each step runs in a
// bubblewrap sandbox whose file system holds only the toolchain (/usr, read
// only), the staged inputs (/src, read only) and the step's outputs (/out):
// no home, no course, no hidden tests, no network, a private /tmp, /proc of its
// own PID namespace, and an empty environment. prlimit bounds CPU time,
// address space, the size of any file written, open files and processes; the
// grader bounds wall time and output, and on either it kills the sandbox,
// whose PID namespace takes every process the step started down with it.
//
// Without the sandbox (--no-sandbox, trusted sources only) the same command
// runs on the host in a process group of its own, with the same limits.

import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { LabError } from '../course/labs.ts';

export interface ToolLimits {
  /** CPU seconds for one step (the compiler's processes together count one by one). */
  cpuSeconds: number;
  /** Wall time for one step; the step is killed after it. */
  wallSeconds: number;
  /** Address space of each process. */
  memoryBytes: number;
  /** Largest file a step may write (an object, an ELF). */
  fileBytes: number;
  /** Compiler messages kept; a step that says more is stopped as a failure. */
  outputBytes: number;
}

export const DEFAULT_LIMITS: ToolLimits = {
  cpuSeconds: 60,
  wallSeconds: 90,
  memoryBytes: 2 << 30,
  fileBytes: 64 << 20,
  outputBytes: 64 << 10,
};

/** Processes one step may run at once: the compiler driver, cc1, as, collect2, ld, with room to spare. */
const MAX_PROCESSES = 64;
const MAX_OPEN_FILES = 256;

/** Why a step ended, besides its exit status. */
export type StepStop = 'cpu' | 'wall' | 'file-size' | 'output' | undefined;

export interface StepResult {
  code: number;
  /** stdout and stderr interleaved as the tool wrote them, at most limits.outputBytes. */
  output: string;
  stopped: StepStop;
  notFound: boolean;
}

/**
 * Where a step sees its inputs and outputs: /src and /out in the sandbox,
 * the staging directories themselves without it.
 */
export interface StepPaths {
  src: string;
  out: string;
}

export interface Step {
  /** Host directories: staged inputs and the outputs the step may write. */
  hostSrc: string;
  hostOut: string;
  /** The working directory, relative to src. */
  cwd: string;
  command: string;
  args: string[];
  sandbox: boolean;
  limits: ToolLimits;
}

/** The environment variable `--no-sandbox` sets, so that builds in child processes (a release's check) follow it. */
export const SANDBOX_ENV = 'LAB_SANDBOX';

/** Whether builds use the sandbox when the caller does not say: yes, unless LAB_SANDBOX=off. */
export function sandboxByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SANDBOX_ENV] !== 'off';
}

/** --no-sandbox's help, the same for every command that builds. */
export const NO_SANDBOX_HELP = `build on the host without the sandbox (only for sources you trust; the same as ${SANDBOX_ENV}=off)`;

export const SANDBOX_PATHS: StepPaths = { src: '/src', out: '/out' };

export function stepPaths(step: Pick<Step, 'sandbox' | 'hostSrc' | 'hostOut'>): StepPaths {
  return step.sandbox ? SANDBOX_PATHS : { src: step.hostSrc, out: step.hostOut };
}

/**
 * Fixed at the epoch so that __DATE__ and __TIME__ (and anything else that
 * honours it) read the same in every build of the same sources.
 */
const SOURCE_DATE_EPOCH = '0';

function limitArgs(limits: ToolLimits): string[] {
  return [
    // The soft limit sends SIGXCPU, which the compiler driver reports by name; the hard one a second later kills.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryBytes}`,
    `--fsize=${limits.fileBytes}`,
    `--nproc=${MAX_PROCESSES}`,
    `--nofile=${MAX_OPEN_FILES}`,
    `--core=0`,
  ];
}

function bwrapArgs(step: Step): string[] {
  return [
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--ro-bind', '/usr', '/usr',
    // Debian's merged /usr: the loader and libraries are found through these.
    '--symlink', 'usr/bin', '/bin',
    '--symlink', 'usr/lib', '/lib',
    '--symlink', 'usr/lib32', '/lib32',
    '--symlink', 'usr/lib64', '/lib64',
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--ro-bind', step.hostSrc, SANDBOX_PATHS.src,
    '--bind', step.hostOut, SANDBOX_PATHS.out,
    '--chdir', path.posix.join(SANDBOX_PATHS.src, step.cwd),
    '--clearenv',
    ...['PATH', '/usr/bin', 'LC_ALL', 'C', 'TMPDIR', '/tmp', 'SOURCE_DATE_EPOCH', SOURCE_DATE_EPOCH].flatMap((v, i, a) => (i % 2 === 0 ? ['--setenv', v, a[i + 1]] : [])),
    '--',
  ];
}

/** The environment of an unsandboxed step: the host's PATH only, and the same fixed values. */
function hostEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', SOURCE_DATE_EPOCH, TMPDIR: process.env.TMPDIR ?? '/tmp' };
}

/**
 * Runs one build step with no input, bounded in time, output and resources.
 * A tool that cannot be started at all (bwrap, prlimit, the compiler) is the
 * machine's problem, not a failed build: that is a LabError naming it.
 */
export async function runStep(step: Step): Promise<StepResult> {
  const r = await spawnStep(step);
  if (r.notFound) throw new LabError(`the build could not start a tool it needs (${r.output}); install it (Debian: bubblewrap, util-linux, gcc-multilib or clang and lld), or check PATH`);
  return r;
}

function spawnStep(step: Step): Promise<StepResult> {
  const limited = ['prlimit', ...limitArgs(step.limits), '--', step.command, ...step.args];
  const [command, ...args] = step.sandbox ? ['bwrap', ...bwrapArgs(step), ...limited] : limited;
  const cwd = step.sandbox ? step.hostSrc : path.join(step.hostSrc, step.cwd);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: step.sandbox ? {} : hostEnv(), detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let stopped: StepStop;
    let settled = false;
    const killGroup = (why: StepStop) => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const collect = (chunk: Buffer) => {
      const room = step.limits.outputBytes - size;
      if (room <= 0) return;
      chunks.push(chunk.subarray(0, room));
      size += Math.min(chunk.length, room);
      if (size >= step.limits.outputBytes) killGroup('output');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => killGroup('wall'), step.limits.wallSeconds * 1000);
    const finish = (r: StepResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(r);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      finish({ code: -1, output: err.message, stopped: undefined, notFound: err.code === 'ENOENT' });
    });
    child.on('exit', (code, signal) => {
      // A descendant that outlived the step (possible only without the
      // sandbox's PID namespace) must not keep the pipes, or the grader, open.
      killGroup(undefined);
      const output = Buffer.concat(chunks).toString('utf8');
      const why = stopped ?? stopReason(signal, output);
      // Let what is still in the pipes arrive, but never wait on them for long.
      setTimeout(() => finish({ code: code ?? -1, output: Buffer.concat(chunks).toString('utf8'), stopped: why, notFound: false }), 20);
      child.on('close', () => finish({ code: code ?? -1, output: Buffer.concat(chunks).toString('utf8'), stopped: why, notFound: false }));
    });
  });
}

/** What a limit the kernel enforces looks like from outside: the signal, or the driver's report of it. */
function stopReason(signal: NodeJS.Signals | null, output: string): StepStop {
  if (signal === 'SIGXCPU' || /CPU time limit exceeded/.test(output)) return 'cpu';
  if (signal === 'SIGXFSZ' || /File size limit exceeded|File too large/.test(output)) return 'file-size';
  return undefined;
}

/** One line saying which limit stopped a step, for the build log. */
export function describeStop(stopped: StepStop, limits: ToolLimits): string {
  switch (stopped) {
    case 'cpu': return `the build step was stopped after ${limits.cpuSeconds} s of CPU time (a preprocessor loop, e.g. a header that includes itself?)\n`;
    case 'wall': return `the build step was stopped after ${limits.wallSeconds} s\n`;
    case 'file-size': return `the build step was stopped: an output file reached the ${limits.fileBytes >> 20} MiB limit\n`;
    case 'output': return `[the compiler's messages passed ${limits.outputBytes >> 10} KiB and it was stopped; fix the first ones above]\n`;
    default: return '';
  }
}

let sandboxProbe: string | null | undefined;

/**
 * Null when the sandbox runs on this machine; otherwise one line saying why
 * not and what to do. Probed once per process (a start of `true` inside it).
 */
export function sandboxProblem(): string | null {
  if (sandboxProbe !== undefined) return sandboxProbe;
  const probe = spawnSync('bwrap', [...bwrapArgs({ hostSrc: '/usr', hostOut: '/tmp', cwd: '.', command: 'true', args: [], sandbox: true, limits: DEFAULT_LIMITS }), 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 10_000,
  });
  if (probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT') {
    sandboxProbe = 'the build sandbox needs bubblewrap (bwrap), which is not installed; install the Debian package bubblewrap, or pass --no-sandbox to build trusted sources without it';
  } else if (probe.status !== 0) {
    const said = probe.stderr?.toString().trim().split('\n')[0] || `exit status ${probe.status}`;
    sandboxProbe = `the build sandbox (bubblewrap) cannot start on this machine (${said}); allow unprivileged user namespaces, or pass --no-sandbox to build trusted sources without it`;
  } else {
    sandboxProbe = null;
  }
  return sandboxProbe;
}
