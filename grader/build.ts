// Builds a lab's kernel and user programs from the course tree with one fixed
// command line per compiler, never a student's Makefile: student sources are
// hostile, so the grader decides every flag, compiles in a temporary directory,
// bounds the compiler's time and output, and runs nothing it built on the host.
//
// Outputs are cached under <outDir>/<key>/, the key being a sha256 over the
// compiler's identity, the flags, the manifest's build plan and every byte of
// the input trees, so an unchanged tree costs a hash and no compile. A finished
// build appears by one rename, so graders running side by side never see half
// of one.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LabError, REPO_ROOT } from './labs.ts';
import type { LabManifest } from './model.ts';

export type CompilerName = 'gcc' | 'clang';

export interface BuildOptions {
  /** Default: $CC when it names gcc or clang (e.g. gcc-12, /usr/bin/clang), else gcc. */
  cc?: CompilerName;
  /** Default: <repo>/build/lab-NN. */
  outDir?: string;
}

export type BuildStage = 'kernel' | `program ${string}`;

export type BuildOutcome =
  | {
      ok: true;
      /** Absolute path of kernel.elf. */
      kernel: string;
      /** Program name -> absolute path of its ELF. */
      programs: Record<string, string>;
      /** True when nothing was compiled: an identical tree was built before. */
      cached: boolean;
      /** Compiler warnings (empty when there were none), kept with the outputs so a cached build shows them too. */
      log: string;
    }
  | {
      ok: false;
      /** What the compiler or linker said (bounded), with temporary paths removed. */
      log: string;
      stage: BuildStage;
    };

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

/** Where a program's linker script is looked for (in the lab folder) when the manifest names none. */
export const DEFAULT_PROGRAM_LINKER_SCRIPT = 'programs/program.ld';

/** The most compiler output a failed build keeps: enough for every error a student needs to see. */
export const LOG_LIMIT = 64 << 10;
/** A compiler step taking longer than this is stopped: hostile sources can make the preprocessor run forever. */
const STEP_TIMEOUT_MS = 120_000;
/** Builds kept per output directory; older ones are removed after a new build. */
const KEEP_BUILDS = 4;
const KEY_DIR = /^[0-9a-f]{24}$/;

interface Compiler {
  name: CompilerName;
  /** The command to run: gcc, clang, or what $CC says (gcc-12, /usr/bin/clang-16). */
  command: string;
}

/** One linked output: its sources and linker script, relative to `cwd`. */
interface Target {
  stage: BuildStage;
  outName: string;
  cwd: string;
  sources: string[];
  linkerScript: string;
  includeDirs: string[];
}

/** Builds `lab`'s kernel and programs, or returns the earlier build of an identical tree. */
export async function buildLab(courseRoot: string, lab: LabManifest, options: BuildOptions = {}): Promise<BuildOutcome> {
  const root = path.resolve(courseRoot);
  const compiler = chooseCompiler(options.cc);
  const identity = await toolchainIdentity(compiler);
  const targets = planTargets(root, lab);

  for (const target of targets) {
    const missing = missingInput(target);
    if (missing) return { ok: false, stage: target.stage, log: missing };
  }

  const key = await buildKey(root, compiler, identity, targets);
  const outDir = path.resolve(options.outDir ?? path.join(REPO_ROOT, 'build', `lab-${String(lab.number).padStart(2, '0')}`));
  const dest = path.join(outDir, key);
  const outputs = outputPaths(dest, lab);
  if ([outputs.kernel, ...Object.values(outputs.programs)].every((f) => existsSync(f))) {
    // Touch it: pruning keeps the most recently used builds.
    const now = new Date();
    await utimes(dest, now, now).catch(() => {});
    return { ok: true, ...outputs, cached: true, log: await readFile(path.join(dest, 'log.txt'), 'utf8').catch(() => '') };
  }

  await checkCanBuild32(compiler);
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'ringlab-build-'));
  // The staging directory sits beside its destination so the final rename stays on one file system.
  const staging = path.join(outDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(path.join(staging, 'programs'), { recursive: true });
    const warnings: string[] = [];
    for (const target of targets) {
      const out = path.join(staging, target.outName);
      const result = await buildTarget(compiler, target, work, out);
      if (!result.ok) return { ok: false, stage: target.stage, log: bound(clean(result.log, work, staging)) };
      if (result.log.trim() !== '') warnings.push(clean(result.log, work, staging));
    }
    const log = bound(warnings.join(''));
    await writeFile(path.join(staging, 'log.txt'), log);
    try {
      await rename(staging, dest);
    } catch (e) {
      // Another grader finished the same build first: theirs is identical, keep it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
    await pruneOldBuilds(outDir, key);
    return { ok: true, ...outputs, cached: false, log };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

function outputPaths(dest: string, lab: LabManifest): { kernel: string; programs: Record<string, string> } {
  const programs: Record<string, string> = {};
  for (const name of Object.keys(lab.programs).sort()) programs[name] = path.join(dest, 'programs', `${name}.elf`);
  return { kernel: path.join(dest, 'kernel.elf'), programs };
}

function chooseCompiler(cc: CompilerName | undefined): Compiler {
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

/**
 * Which compiler (and, for clang, which linker) builds: each executable's real
 * path, size and modification time. Part of the build key, so upgrading the
 * toolchain rebuilds everything; read from the file system rather than from
 * `--version`, which would cost a process start on every grade.
 */
async function toolchainIdentity(compiler: Compiler): Promise<string> {
  const cc = await executableIdentity(compiler.command);
  if (cc === null) throw new LabError(`${compiler.command} not found: lab builds kernels with it; ${TOOL_PACKAGES[compiler.name]}`);
  const parts = [cc];
  if (compiler.name === 'clang') {
    const lld = await executableIdentity('ld.lld');
    if (lld === null) throw new LabError(`ld.lld not found: clang links lab kernels with lld; install the Debian package lld`);
    parts.push(lld);
  }
  return parts.join('\n');
}

/** "real path, size, mtime" of the executable `command` names (a path, or a name looked up in PATH); null when there is none. */
async function executableIdentity(command: string): Promise<string | null> {
  const candidates = command.includes('/')
    ? [path.resolve(command)]
    : (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      const real = await realpath(candidate);
      const st = await stat(real);
      if (st.isFile()) return `${real} ${st.size} ${st.mtimeMs}`;
    } catch {
      // not here: try the next directory
    }
  }
  return null;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0].trim();
}

const canBuild32 = new Map<string, Promise<void>>();

/**
 * Compiles and links a trivial freestanding program with the fixed flags, once
 * per process, so a toolchain that cannot produce 32-bit code (gcc without
 * multilib) is reported as the machine's problem, not as the student's error.
 */
function checkCanBuild32(compiler: Compiler): Promise<void> {
  const cacheKey = `${compiler.command}\0${process.env.PATH ?? ''}`;
  let probe = canBuild32.get(cacheKey);
  if (!probe) {
    probe = probeToolchain(compiler);
    canBuild32.set(cacheKey, probe);
    probe.catch(() => canBuild32.delete(cacheKey));
  }
  return probe;
}

async function probeToolchain(compiler: Compiler): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ringlab-probe-'));
  try {
    await writeFile(path.join(dir, 'probe.c'), '#include <stdint.h>\n#include <stddef.h>\nvoid _start(void) { for (;;) { } }\n');
    const flags = FLAGS[compiler.name];
    const r = await run(compiler.command, [...flags.compile, ...flags.link, 'probe.c', '-o', 'probe.elf'], dir);
    if (r.code === 0) return;
    const said = r.output.split('\n').find((l) => /error|cannot|not found/i.test(l))?.trim() ?? firstLine(r.output);
    if (compiler.name === 'gcc') {
      throw new LabError(`${compiler.command} cannot build 32-bit code on this machine (${said}); install the Debian package gcc-multilib`);
    }
    throw new LabError(`${compiler.command} cannot build for i386 on this machine (${said}); install the Debian packages clang and lld`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The kernel and each program as separate link steps; paths stay relative so messages read as the student wrote them. */
function planTargets(root: string, lab: LabManifest): Target[] {
  const kernelDir = path.join(root, 'kernel');
  const labDir = path.join(root, lab.slug);
  const inside = (base: string, rel: string, field: string): string => {
    const abs = path.resolve(base, rel);
    if (abs !== root && !abs.startsWith(root + path.sep)) {
      throw new LabError(`${path.join(labDir, 'lab.json')}: ${field} ${rel} leads outside the course directory ${root}; keep build inputs in the course`);
    }
    return rel;
  };
  const targets: Target[] = [
    {
      stage: 'kernel',
      outName: 'kernel.elf',
      cwd: kernelDir,
      sources: lab.kernel.sources.map((s) => inside(kernelDir, s, 'kernel source')),
      linkerScript: inside(kernelDir, lab.kernel.linkerScript, 'kernel.linkerScript'),
      includeDirs: (lab.kernel.includeDirs ?? []).map((d) => inside(kernelDir, d, 'kernel include directory')),
    },
  ];
  for (const name of Object.keys(lab.programs).sort()) {
    const spec = lab.programs[name];
    targets.push({
      stage: `program ${name}`,
      outName: path.join('programs', `${name}.elf`),
      cwd: labDir,
      sources: spec.sources.map((s) => inside(labDir, s, `program ${name} source`)),
      linkerScript: inside(labDir, spec.linkerScript ?? DEFAULT_PROGRAM_LINKER_SCRIPT, `program ${name} linkerScript`),
      includeDirs: [],
    });
  }
  return targets;
}

/** A listed source or linker script that is not there: the student's tree is incomplete, which is a failed build. */
function missingInput(target: Target): string | undefined {
  const where = target.stage === 'kernel' ? 'the kernel tree' : 'the lab folder';
  for (const file of [...target.sources, target.linkerScript]) {
    const abs = path.join(target.cwd, file);
    if (!existsSync(abs) || !statSync(abs).isFile()) {
      return `${file}: no such file in ${where} (${target.cwd}); lab.json lists it for the ${target.stage} build\n`;
    }
  }
  return undefined;
}

/**
 * Headers are not listed in the manifest, so whole trees are hashed: the
 * kernel tree, each include directory and each program source's directory.
 * Names starting with a dot (editor swap files, .git) are skipped so that an
 * open editor does not force a rebuild.
 */
async function buildKey(root: string, compiler: Compiler, identity: string, targets: Target[]): Promise<string> {
  const hash = createHash('sha256');
  const add = (label: string, data: string | Buffer) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add('compiler', `${compiler.name}\n${identity}`);
  add('flags', JSON.stringify(FLAGS[compiler.name]));
  add('plan', JSON.stringify(targets.map((t) => ({ ...t, cwd: path.relative(root, t.cwd) }))));

  // Synchronous reads: this runs on every grade, over many small files, and a
  // thread-pool round trip per file would cost more than the reading.
  const dirs = new Set<string>();
  const files = new Set<string>();
  for (const target of targets) {
    if (target.stage === 'kernel') for (const d of [target.cwd, ...target.includeDirs.map((d) => path.resolve(target.cwd, d))]) dirs.add(d);
    for (const source of target.sources) dirs.add(path.dirname(path.resolve(target.cwd, source)));
    files.add(path.resolve(target.cwd, target.linkerScript));
  }
  for (const dir of dirs) for (const file of treeFiles(dir)) files.add(file);
  for (const file of [...files].sort()) add(path.relative(root, file), readFileSync(file));
  return hash.digest('hex').slice(0, 24);
}

function treeFiles(dir: string): string[] {
  const files: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...treeFiles(full));
    else if (entry.isFile()) files.push(full);
    // A symbolic link counts by what it points at, if that is a file; linked directories could loop.
    else if (entry.isSymbolicLink() && statIfAny(full)?.isFile()) files.push(full);
  }
  return files;
}

function statIfAny(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** Compiles every source of a target (in parallel), then links; the log holds what the tools said. */
async function buildTarget(compiler: Compiler, target: Target, work: string, out: string): Promise<{ ok: boolean; log: string }> {
  const flags = FLAGS[compiler.name];
  const objDir = path.join(work, target.stage.replace(' ', '-'));
  await mkdir(objDir, { recursive: true });
  const includes = target.includeDirs.map((d) => `-I${d}`);
  const objects = target.sources.map((s) => path.join(objDir, `${s.replaceAll('/', '_').replace(/^(\.\._)+/, '')}.o`));

  const compiled = await mapLimited(target.sources, os.availableParallelism(), (source, i) =>
    run(compiler.command, [...flags.compile, ...includes, '-c', source, '-o', objects[i]], target.cwd),
  );
  const log = compiled.map(describe).join('');
  if (compiled.some((r) => r.code !== 0)) return { ok: false, log };

  const linked = await run(compiler.command, [...flags.compile, ...flags.link, '-T', target.linkerScript, ...objects, '-o', out], target.cwd);
  return { ok: linked.code === 0, log: log + describe(linked) };
}

function describe(r: RunResult): string {
  if (r.timedOut) return `${r.output}${r.output.endsWith('\n') || r.output === '' ? '' : '\n'}the compiler was stopped after ${STEP_TIMEOUT_MS / 1000} s\n`;
  if (r.code !== 0 && r.output.trim() === '') return `the compiler failed (exit status ${r.code}) without a message\n`;
  return r.output;
}

/** Removes the temporary directories from messages: "kernel/kmain.c.o: in function ..." instead of /tmp/ringlab-build-x/kernel/kmain.c.o. */
function clean(log: string, ...dirs: string[]): string {
  let text = log;
  for (const dir of dirs) text = text.replaceAll(`${dir}${path.sep}`, '');
  return text;
}

function bound(log: string): string {
  if (Buffer.byteLength(log) <= LOG_LIMIT) return log;
  const kept = Buffer.from(log).subarray(0, LOG_LIMIT).toString('utf8');
  return `${kept}\n[compiler output cut at ${LOG_LIMIT >> 10} KiB]\n`;
}

async function pruneOldBuilds(outDir: string, keep: string): Promise<void> {
  const builds: { name: string; mtime: number }[] = [];
  for (const name of await readdir(outDir)) {
    if (!KEY_DIR.test(name) || name === keep) continue;
    const info = await stat(path.join(outDir, name)).catch(() => undefined);
    if (info?.isDirectory()) builds.push({ name, mtime: info.mtimeMs });
  }
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_BUILDS - 1)) await rm(path.join(outDir, old.name), { recursive: true, force: true });
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface RunResult {
  code: number;
  /** stdout and stderr interleaved as the tool wrote them, at most LOG_LIMIT bytes. */
  output: string;
  timedOut: boolean;
  notFound: boolean;
}

/** Runs a tool with no input, a time limit and bounded output. */
function run(command: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    // The C locale gives plain ASCII quotes in messages and the same log on every machine.
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const chunks: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      if (size >= LOG_LIMIT) return;
      chunks.push(chunk.subarray(0, LOG_LIMIT - size));
      size += Math.min(chunk.length, LOG_LIMIT - size);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, STEP_TIMEOUT_MS);
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: -1, output: err.message, timedOut: false, notFound: err.code === 'ENOENT' });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output: Buffer.concat(chunks).toString('utf8'), timedOut, notFound: false });
    });
  });
}
