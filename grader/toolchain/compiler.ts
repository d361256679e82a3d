// The compiler the grader builds with: which one (gcc or clang, from --cc or
// $CC), where it is, what identifies it in the build key, the fixed command
// lines, and a one-time check that it can produce 32-bit code at all, so that
// a machine's missing package is never reported as a student's compile error.

import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../course/labs.ts';
import { DEFAULT_LIMITS, runStep, stepPaths } from './sandbox.ts';
import { firstLine } from '../messages.ts';

export type CompilerName = 'gcc' | 'clang';

/** Code generation for both compilers: i686, freestanding, no SSE/x87 registers, no PIC, no stack protector. */
const CODEGEN = ['-march=i686', '-ffreestanding', '-fno-pic', '-fno-pie', '-fno-stack-protector', '-fno-builtin', '-mgeneral-regs-only', '-O2', '-g', '-Wall'];

/** The fixed command lines: `cc <compile> [-I dir]... -c src -o obj`, then `cc <compile> <link> -T script objs -o out`. */
export const FLAGS: Record<CompilerName, { compile: readonly string[]; link: readonly string[] }> = {
  gcc: {
    compile: ['-m32', ...CODEGEN],
    link: ['-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none'],
  },
  // clang's bare-metal i386 target needs no 32-bit host libraries; lld links it
  // (-no-pie is implied there, and clang warns about it as unused).
  clang: {
    compile: ['--target=i386-unknown-none-elf', ...CODEGEN],
    link: ['-nostdlib', '-static', '-fuse-ld=lld', '-Wl,--build-id=none'],
  },
};

export interface Compiler {
  name: CompilerName;
  /** The executable: an absolute path, found on the PATH (or as $CC says) before the build. */
  command: string;
  /** As the user named it (gcc, $CC), for messages. */
  display: string;
  /** Its real path, size and modification time, for the build key. */
  identity: string;
}

function chooseCompiler(cc: CompilerName | undefined): { name: CompilerName; command: string } {
  if (cc !== undefined) return { name: cc, command: cc };
  const env = process.env.CC?.trim();
  if (!env) return { name: 'gcc', command: 'gcc' };
  const base = path.basename(env);
  if (/^gcc(-\d+)?$/.test(base)) return { name: 'gcc', command: env };
  if (/^clang(-\d+)?$/.test(base)) return { name: 'clang', command: env };
  throw new LabError(`CC=${env}: lab builds with gcc or clang only; set CC=gcc or CC=clang, or pass --cc`);
}

const TOOL_PACKAGES: Record<CompilerName, string> = {
  gcc: 'install the Debian packages gcc and gcc-multilib',
  clang: 'install the Debian packages clang and lld',
};

/** The toolchain directory the sandbox shows; a compiler elsewhere cannot run in it. */
const SANDBOX_TOOLCHAIN = '/usr/';

/**
 * The compiler to run and which one it is (and, for clang, which linker):
 * each executable's real path, size and modification time, part of the build
 * key so that upgrading the toolchain rebuilds everything; read from the file
 * system rather than from `--version`, which would cost a process start on
 * every grade.
 */
export async function findCompiler(cc: CompilerName | undefined, sandbox: boolean): Promise<Compiler> {
  const chosen = chooseCompiler(cc);
  const found = await findExecutable(chosen.command);
  if (found === null) throw new LabError(`${chosen.command} not found: lab builds kernels with it; ${TOOL_PACKAGES[chosen.name]}`);
  const parts = [found.identity];
  if (chosen.name === 'clang') {
    const lld = await findExecutable('ld.lld');
    if (lld === null) throw new LabError(`ld.lld not found: clang links lab kernels with lld; install the Debian package lld`);
    parts.push(lld.identity);
  }
  if (sandbox && !found.real.startsWith(SANDBOX_TOOLCHAIN)) {
    throw new LabError(`${chosen.command} is ${found.real}, outside ${SANDBOX_TOOLCHAIN}: the build sandbox shows the toolchain under ${SANDBOX_TOOLCHAIN} only; install the compiler there, or pass --no-sandbox for sources you trust`);
  }
  return { name: chosen.name, command: found.path, display: chosen.command, identity: parts.join('\n') };
}

/** The executable `command` names (a path, or a name looked up in PATH); null when there is none. */
async function findExecutable(command: string): Promise<{ path: string; real: string; identity: string } | null> {
  const candidates = command.includes('/')
    ? [path.resolve(command)]
    : (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      const real = await realpath(candidate);
      const st = await stat(real);
      if (st.isFile()) return { path: candidate, real, identity: `${real} ${st.size} ${st.mtimeMs}` };
    } catch {
      // not here: try the next directory
    }
  }
  return null;
}

const canBuild32 = new Map<string, Promise<void>>();

/**
 * Compiles and links a trivial freestanding program with the fixed flags, once
 * per process, so a toolchain that cannot produce 32-bit code (gcc without
 * multilib) is reported as the machine's problem, not as the student's error.
 */
export function checkCanBuild32(compiler: Compiler, sandbox: boolean): Promise<void> {
  const cacheKey = `${compiler.command}\0${sandbox}`;
  let probe = canBuild32.get(cacheKey);
  if (!probe) {
    probe = probeToolchain(compiler, sandbox);
    canBuild32.set(cacheKey, probe);
    probe.catch(() => canBuild32.delete(cacheKey));
  }
  return probe;
}

async function probeToolchain(compiler: Compiler, sandbox: boolean): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ringlab-probe-'));
  try {
    const dirs = { hostSrc: path.join(dir, 'src'), hostOut: path.join(dir, 'out') };
    await mkdir(dirs.hostSrc);
    await mkdir(dirs.hostOut);
    await writeFile(path.join(dirs.hostSrc, 'probe.c'), '#include <stdint.h>\n#include <stddef.h>\nvoid _start(void) { for (;;) { } }\n');
    const flags = FLAGS[compiler.name];
    const out = stepPaths({ sandbox, ...dirs }).out;
    const r = await runStep({ ...dirs, cwd: '.', command: compiler.command, args: [...flags.compile, ...flags.link, './probe.c', '-o', `${out}/probe.elf`], sandbox, limits: DEFAULT_LIMITS });
    if (r.code === 0) return;
    const said = r.output.split('\n').find((l) => /error|cannot|not found/i.test(l))?.trim() ?? firstLine(r.output).trim();
    if (compiler.name === 'gcc') {
      throw new LabError(`${compiler.display} cannot build 32-bit code on this machine (${said}); install the Debian package gcc-multilib`);
    }
    throw new LabError(`${compiler.display} cannot build for i386 on this machine (${said}); install the Debian packages clang and lld`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

