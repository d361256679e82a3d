// Builds a lab's kernel and user programs from the course tree with one fixed
// command line per compiler, never a student's Makefile: student sources are
// hostile, so the grader decides every flag and every input. The inputs are
// read once (build-inputs.ts), staged into a temporary directory, and each
// compile and link runs in a sandbox that sees only them and the toolchain,
// with bounded time, memory, output and file sizes (sandbox.ts); nothing built
// runs on the host.
//
// Outputs are cached under <outDir>/<key>/, the key being a sha256 over the
// compiler's identity, the flags, the manifest's build plan and every input
// byte, so an unchanged tree costs a hash and no compile. A finished build
// appears by one rename, so graders running side by side never see half of
// one.

import { createHash, randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, readdir, realpath, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputProblem, readInputs, type InputFiles, type InputPlan, type Submission } from './build-inputs.ts';
import { LabError, REPO_ROOT } from './labs.ts';
import type { LabManifest } from './model.ts';
import { DEFAULT_LIMITS, describeStop, runStep, sandboxByDefault, sandboxProblem, stepPaths, type StepPaths, type StepResult, type ToolLimits } from './sandbox.ts';

export type CompilerName = 'gcc' | 'clang';

export interface BuildOptions {
  /** Default: $CC when it names gcc or clang (e.g. gcc-12, /usr/bin/clang), else gcc. */
  cc?: CompilerName;
  /** Default: <repo>/build/lab-NN. */
  outDir?: string;
  /** Compile in the sandbox (default). Off only for sources the grader's user trusts. */
  sandbox?: boolean;
  /** A student's submission: the files it may supply come from it, the rest from the course. */
  submission?: Submission;
  /** Per-step limits (default DEFAULT_LIMITS); tests lower them. */
  limits?: ToolLimits;
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
export const LOG_LIMIT = DEFAULT_LIMITS.outputBytes;
/** Builds kept per output directory; older ones are removed after a new build. */
const KEEP_BUILDS = 4;
const KEY_DIR = /^[0-9a-f]{24}$/;

interface Compiler {
  name: CompilerName;
  /** The executable: an absolute path, found on the PATH (or as $CC says) before the build. */
  command: string;
  /** As the user named it (gcc, $CC), for messages. */
  display: string;
  /** Its real path, size and modification time, for the build key. */
  identity: string;
}

/** One linked output: its sources and linker script relative to `cwd`, a course-relative folder. */
interface Target {
  stage: BuildStage;
  outName: string;
  cwd: string;
  sources: string[];
  linkerScript: string;
  includeDirs: string[];
}

/** Builds `lab`'s kernel and programs, or returns the earlier build of identical inputs. */
export async function buildLab(courseRoot: string, lab: LabManifest, options: BuildOptions = {}): Promise<BuildOutcome> {
  const root = path.resolve(courseRoot);
  const sandbox = options.sandbox ?? sandboxByDefault();
  const limits = options.limits ?? DEFAULT_LIMITS;
  const compiler = await findCompiler(options.cc, sandbox);
  const targets = planTargets(root, lab);

  let inputs: InputFiles;
  try {
    inputs = readInputs(root, inputPlan(targets), options.submission);
  } catch (e) {
    if (e instanceof InputProblem) return { ok: false, stage: 'kernel', log: `${e.message}\n` };
    throw e;
  }
  for (const target of targets) {
    const missing = missingInput(target, inputs);
    if (missing) return { ok: false, stage: target.stage, log: missing };
  }

  const key = buildKey(compiler, sandbox, targets, inputs);
  const outDir = path.resolve(options.outDir ?? path.join(REPO_ROOT, 'build', `lab-${String(lab.number).padStart(2, '0')}`));
  const dest = path.join(outDir, key);
  const outputs = outputPaths(dest, lab);
  if ([outputs.kernel, ...Object.values(outputs.programs)].every((f) => existsSync(f))) {
    // Touch it: pruning keeps the most recently used builds.
    const now = new Date();
    await utimes(dest, now, now).catch(() => {});
    return { ok: true, ...outputs, cached: true, log: await readFile(path.join(dest, 'log.txt'), 'utf8').catch(() => '') };
  }

  // Asked only when something is to be compiled: a cached grade starts no process.
  const problem = sandbox ? sandboxProblem() : null;
  if (problem !== null) throw new LabError(problem);
  await checkCanBuild32(compiler, sandbox);
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'ringlab-build-'));
  // The staging directory sits beside its destination so the final rename stays on one file system.
  const staging = path.join(outDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const dirs = { hostSrc: path.join(work, 'src'), hostOut: path.join(work, 'out') };
    await stageInputs(dirs.hostSrc, inputs);
    await mkdir(path.join(dirs.hostOut, 'programs'), { recursive: true });
    const seen = stepPaths({ sandbox, ...dirs });
    const warnings: string[] = [];
    for (const target of targets) {
      const result = await buildTarget(compiler, target, { sandbox, limits, ...dirs });
      const log = clean(result.log, seen);
      if (!result.ok) return { ok: false, stage: target.stage, log: bound(log) };
      if (log.trim() !== '') warnings.push(log);
    }
    await mkdir(path.join(staging, 'programs'), { recursive: true });
    for (const target of targets) await rename(path.join(dirs.hostOut, target.outName), path.join(staging, target.outName));
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

/**
 * Writes the inputs under `dir` with their modification times at the epoch,
 * so that nothing a compiler reads from the file system (__TIMESTAMP__)
 * differs between two builds of the same bytes.
 */
async function stageInputs(dir: string, inputs: InputFiles): Promise<void> {
  const epoch = new Date(0);
  for (const [rel, bytes] of inputs) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes, { mode: 0o444 });
    await utimes(file, epoch, epoch);
  }
}

function outputPaths(dest: string, lab: LabManifest): { kernel: string; programs: Record<string, string> } {
  const programs: Record<string, string> = {};
  for (const name of Object.keys(lab.programs).sort()) programs[name] = path.join(dest, 'programs', `${name}.elf`);
  return { kernel: path.join(dest, 'kernel.elf'), programs };
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
async function findCompiler(cc: CompilerName | undefined, sandbox: boolean): Promise<Compiler> {
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

function firstLine(text: string): string {
  return text.split('\n', 1)[0].trim();
}

const canBuild32 = new Map<string, Promise<void>>();

/**
 * Compiles and links a trivial freestanding program with the fixed flags, once
 * per process, so a toolchain that cannot produce 32-bit code (gcc without
 * multilib) is reported as the machine's problem, not as the student's error.
 */
function checkCanBuild32(compiler: Compiler, sandbox: boolean): Promise<void> {
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
    const said = r.output.split('\n').find((l) => /error|cannot|not found/i.test(l))?.trim() ?? firstLine(r.output);
    if (compiler.name === 'gcc') {
      throw new LabError(`${compiler.display} cannot build 32-bit code on this machine (${said}); install the Debian package gcc-multilib`);
    }
    throw new LabError(`${compiler.display} cannot build for i386 on this machine (${said}); install the Debian packages clang and lld`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The kernel and each program as separate link steps; paths stay relative so messages read as the student wrote them. */
function planTargets(root: string, lab: LabManifest): Target[] {
  const labDir = path.join(root, lab.slug);
  const inside = (base: string, rel: string, field: string): string => {
    const abs = path.resolve(root, base, rel);
    if (abs === root || !abs.startsWith(root + path.sep)) {
      throw new LabError(`${path.join(labDir, 'lab.json')}: ${field} ${rel} leads outside the course directory ${root}; keep build inputs in the course`);
    }
    return rel;
  };
  const targets: Target[] = [
    {
      stage: 'kernel',
      outName: 'kernel.elf',
      cwd: 'kernel',
      sources: lab.kernel.sources.map((s) => inside('kernel', s, 'kernel source')),
      linkerScript: inside('kernel', lab.kernel.linkerScript, 'kernel.linkerScript'),
      includeDirs: (lab.kernel.includeDirs ?? []).map((d) => inside('kernel', d, 'kernel include directory')),
    },
  ];
  for (const name of Object.keys(lab.programs).sort()) {
    const spec = lab.programs[name];
    targets.push({
      stage: `program ${name}`,
      outName: path.join('programs', `${name}.elf`),
      cwd: lab.slug,
      sources: spec.sources.map((s) => inside(lab.slug, s, `program ${name} source`)),
      linkerScript: inside(lab.slug, spec.linkerScript ?? DEFAULT_PROGRAM_LINKER_SCRIPT, `program ${name} linkerScript`),
      includeDirs: [],
    });
  }
  return targets;
}

/** Course-relative path of `rel`, which is relative to the target's folder. */
function inCourse(target: Target, rel: string): string {
  return path.posix.normalize(path.posix.join(target.cwd, rel));
}

/**
 * Headers are not listed in the manifest, so whole trees are read: the
 * kernel tree, each include directory and each program source's directory.
 */
function inputPlan(targets: Target[]): InputPlan {
  const dirs = new Set<string>();
  const files = new Set<string>();
  for (const target of targets) {
    if (target.stage === 'kernel') for (const d of [target.cwd, ...target.includeDirs.map((d) => inCourse(target, d))]) dirs.add(d);
    for (const source of target.sources) {
      dirs.add(path.posix.dirname(inCourse(target, source)));
      files.add(inCourse(target, source));
    }
    files.add(inCourse(target, target.linkerScript));
  }
  return { dirs: [...dirs].sort(), files: [...files].sort() };
}

/** A listed source or linker script that is not there: the student's tree is incomplete, which is a failed build. */
function missingInput(target: Target, inputs: InputFiles): string | undefined {
  const where = target.stage === 'kernel' ? 'the kernel tree' : 'the lab folder';
  for (const file of [...target.sources, target.linkerScript]) {
    if (!inputs.has(inCourse(target, file))) {
      return `${inCourse(target, file)}: no such file in ${where}; lab.json lists it for the ${target.stage} build\n`;
    }
  }
  return undefined;
}

function buildKey(compiler: Compiler, sandbox: boolean, targets: Target[], inputs: InputFiles): string {
  const hash = createHash('sha256');
  const add = (label: string, data: string | Buffer) => {
    hash.update(`${label}\0${data.length}\0`);
    hash.update(data);
  };
  add('compiler', `${compiler.name}\n${compiler.identity}\n${sandbox ? 'sandbox' : 'host'}`);
  add('flags', JSON.stringify(FLAGS[compiler.name]));
  add('plan', JSON.stringify(targets));
  for (const [name, bytes] of inputs) add(name, bytes);
  return hash.digest('hex').slice(0, 24);
}

/** A name the compiler cannot take for an option or a response file (-x, @file): "./name" unless it starts with a dot. */
function asOperand(rel: string): string {
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Compiles every source of a target (in parallel), then links; the log holds what the tools said. */
async function buildTarget(
  compiler: Compiler,
  target: Target,
  step: { sandbox: boolean; limits: ToolLimits; hostSrc: string; hostOut: string },
): Promise<{ ok: boolean; log: string }> {
  const flags = FLAGS[compiler.name];
  const seen = stepPaths(step);
  const objDir = path.posix.join('obj', target.stage.replace(' ', '-'));
  await mkdir(path.join(step.hostOut, objDir), { recursive: true });
  // Without the sandbox the staging directories are real paths; debug info names them as the sandbox would.
  const prefixMap = step.sandbox ? [] : [`-ffile-prefix-map=${seen.src}=/src`, `-ffile-prefix-map=${seen.out}=/out`];
  const includes = target.includeDirs.map((d) => `-I${asOperand(d)}`);
  const objects = target.sources.map((s) => `${seen.out}/${objDir}/${s.replaceAll('/', '_').replace(/^(\.\._)+/, '')}.o`);
  const run = (args: string[]) => runStep({ ...step, cwd: target.cwd, command: compiler.command, args });

  const compiled = await mapLimited(target.sources, os.availableParallelism(), (source, i) =>
    run([...flags.compile, ...prefixMap, ...includes, '-c', asOperand(source), '-o', objects[i]]),
  );
  const log = compiled.map((r) => describe(r, step.limits)).join('');
  if (compiled.some(failed)) return { ok: false, log };

  const linked = await run([...flags.compile, ...prefixMap, ...flags.link, '-T', asOperand(target.linkerScript), ...objects, '-o', `${seen.out}/${target.outName}`]);
  return { ok: !failed(linked), log: log + describe(linked, step.limits) };
}

function failed(r: StepResult): boolean {
  return r.code !== 0 || r.stopped !== undefined;
}

function describe(r: StepResult, limits: ToolLimits): string {
  const said = r.output === '' || r.output.endsWith('\n') ? r.output : `${r.output}\n`;
  if (r.stopped !== undefined) return said + describeStop(r.stopped, limits);
  if (r.code !== 0 && r.output.trim() === '') return `the compiler failed (exit status ${r.code}) without a message\n`;
  return said;
}

/**
 * Messages as the student wrote the names: "kmain.c:3:1" rather than
 * "./kmain.c:3:1", and "kernel/kmain.c.o" rather than the object's path in
 * the staging or sandbox directories ("kernel/kmain.c.o").
 */
function clean(log: string, seen: StepPaths): string {
  return log
    .replaceAll(`${seen.out}/obj/`, '')
    .replaceAll(`${seen.out}/`, '')
    .replaceAll(`${seen.src}/`, '')
    .replace(/(^|[\s'"`(])\.\/(?=[^/\s])/gm, '$1');
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
