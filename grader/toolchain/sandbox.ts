// Runs the compiler and linker on hostile sources. Each step runs in a
// bubblewrap sandbox whose file system holds only the toolchain (/usr, read
// only), the staged inputs (/src, read only) and the step's outputs (/out):
// no home, no course, no hidden tests, no network, a private /tmp, /proc of its
// own PID namespace, and an empty environment. prlimit bounds CPU time,
// address space, the size of any file written, open files and processes; the
// grader bounds wall time and output, and on either it kills the sandbox,
// whose PID namespace takes every process the step started down with it.
//
// Where bubblewrap cannot run (a container whose seccomp profile forbids
// namespaces, as Docker's default does, which is where Gradescope runs its
// autograders) but the grader runs as root, LAB_SANDBOX=user runs each step
// on the host as the unprivileged user nobody instead, with no capabilities,
// no way to gain privileges, and the same limits: it sees what any user may
// read, so the course, the hidden tests and the grader itself must be private
// to root (checkPrivateFromBuilds refuses to build otherwise).
//
// Without the sandbox (--no-sandbox, trusted sources only) the same command
// runs on the host in a process group of its own, with the same limits.

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../course/labs.ts';
import { firstLine } from '../messages.ts';

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

/** How a sandboxed step is isolated: bubblewrap, or (LAB_SANDBOX=user) the user nobody on the host. */
export type SandboxKind = 'bwrap' | 'user';

export function sandboxKind(env: NodeJS.ProcessEnv = process.env): SandboxKind {
  return env[SANDBOX_ENV] === 'user' ? 'user' : 'bwrap';
}

/** The unprivileged user and group LAB_SANDBOX=user builds as (nobody, nogroup on Debian and Ubuntu). */
export const BUILD_USER = { uid: 65534, gid: 65534 };

/** setpriv's arguments that make the rest of the command line run as BUILD_USER, unable to gain any privilege. */
const DROP_TO_BUILD_USER = [
  `--reuid=${BUILD_USER.uid}`, `--regid=${BUILD_USER.gid}`, '--clear-groups',
  '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
];

/** --no-sandbox's help, the same for every command that builds. */
export const NO_SANDBOX_HELP = `build on the host without the sandbox (only for sources you trust; the same as ${SANDBOX_ENV}=off)`;

export const SANDBOX_PATHS: StepPaths = { src: '/src', out: '/out' };

/** Whether a step sees the staging directories by their host paths (no bubblewrap mounts). */
export function seesHostPaths(step: Pick<Step, 'sandbox'>): boolean {
  return !step.sandbox || sandboxKind() === 'user';
}

export function stepPaths(step: Pick<Step, 'sandbox' | 'hostSrc' | 'hostOut'>): StepPaths {
  return seesHostPaths(step) ? { src: step.hostSrc, out: step.hostOut } : SANDBOX_PATHS;
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
    ...Object.entries({ PATH: '/usr/bin', LC_ALL: 'C', TMPDIR: '/tmp', SOURCE_DATE_EPOCH }).flatMap(([name, value]) => ['--setenv', name, value]),
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
  const limited: [string, ...string[]] = ['prlimit', ...limitArgs(step.limits), '--', step.command, ...step.args];
  const kind = step.sandbox ? sandboxKind() : undefined;
  if (kind === 'user') openToBuildUser(step);
  const [command, ...args]: [string, ...string[]] = kind === 'bwrap' ? ['bwrap', ...bwrapArgs(step), ...limited] : kind === 'user' ? ['setpriv', ...DROP_TO_BUILD_USER, ...limited] : limited;
  const cwd = kind === 'bwrap' ? step.hostSrc : path.join(step.hostSrc, step.cwd);
  const env = kind === 'bwrap' ? {} : kind === 'user' ? { ...hostEnv(), PATH: '/usr/bin:/bin', TMPDIR: '/tmp' } : hostEnv();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
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

/**
 * Lets the build user read the staged inputs and write the outputs: the
 * staging directory is private to root when made (mkdtemp), and everything
 * under it was written by root.
 */
function openToBuildUser(step: Step): void {
  const open = (dir: string, mode: number) => {
    chmodSync(dir, mode);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) open(path.join(dir, entry.name), mode);
    }
  };
  chmodSync(path.dirname(step.hostSrc), 0o755);
  open(step.hostSrc, 0o755);
  open(step.hostOut, 0o1777);
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

const sandboxProbes = new Map<SandboxKind, string | null>();

/**
 * Null when the sandbox runs on this machine; otherwise one line saying why
 * not and what to do. Probed once per process (a start of `true` inside it).
 */
export function sandboxProblem(): string | null {
  const kind = sandboxKind();
  if (!sandboxProbes.has(kind)) sandboxProbes.set(kind, kind === 'user' ? buildUserProblem() : bwrapProblem());
  return sandboxProbes.get(kind) ?? null;
}

function bwrapProblem(): string | null {
  const probe = spawnSync('bwrap', [...bwrapArgs({ hostSrc: '/usr', hostOut: '/tmp', cwd: '.', command: 'true', args: [], sandbox: true, limits: DEFAULT_LIMITS }), 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 10_000,
  });
  if (probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT') {
    return 'the build sandbox needs bubblewrap (bwrap), which is not installed; install the Debian package bubblewrap, or pass --no-sandbox to build trusted sources without it';
  } else if (probe.status !== 0) {
    const said = firstLine(probe.stderr?.toString().trim() ?? '') || `exit status ${probe.status}`;
    return `the build sandbox (bubblewrap) cannot start on this machine (${said}); allow unprivileged user namespaces, or build as root with ${SANDBOX_ENV}=user, or pass --no-sandbox to build trusted sources without it`;
  }
  return null;
}

function buildUserProblem(): string | null {
  if (process.getuid?.() !== 0) return `${SANDBOX_ENV}=user builds as the user nobody, which only root can switch to; run the grader as root, or use the bubblewrap sandbox (unset ${SANDBOX_ENV})`;
  const probe = spawnSync('setpriv', [...DROP_TO_BUILD_USER, 'true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  if (probe.status === 0) return null;
  const said = probe.error?.message ?? (firstLine(probe.stderr?.toString().trim() ?? '') || `exit status ${probe.status}`);
  return `${SANDBOX_ENV}=user cannot switch to the user nobody with setpriv (${said}); install util-linux, or use the bubblewrap sandbox`;
}

/**
 * With LAB_SANDBOX=user the compiler can read whatever the user nobody can:
 * refuses to build while any of `paths` (the course, the hidden tests, the
 * grader) is among them. Nothing to check with bubblewrap, whose steps see
 * only the toolchain and their own inputs.
 */
export function checkPrivateFromBuilds(paths: readonly string[]): void {
  if (sandboxKind() !== 'user') return;
  for (const p of paths) {
    const probe = spawnSync('setpriv', [...DROP_TO_BUILD_USER, '/bin/sh', '-c', 'test -r "$1" || test -x "$1"', 'sh', p], { stdio: 'ignore', timeout: 10_000 });
    if (probe.status === 0) {
      throw new LabError(`${p} is readable by other users, so a student's build (as the user nobody, ${SANDBOX_ENV}=user) could read it; make it private to root first: chmod 700 ${p}`);
    }
  }
}
