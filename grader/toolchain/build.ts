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
// byte as staged for the lab, so an unchanged tree costs a hash and no compile. A finished build
// appears by one rename, so graders running side by side never see half of
// one.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link as hardLink, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hashInputs, parseDependencies, sha256, StepCache, type CachedStep, type InputHashes } from './step-cache.ts';
import { InputProblem, readInputs, type InputFiles, type InputPlan, type Submission } from './build-inputs.ts';
import { LabError, REPO_ROOT } from '../course/labs.ts';
import type { LabManifest } from '../model.ts';
import { checkPrivateFromBuilds, DEFAULT_LIMITS, describeStop, runStep, SANDBOX_PATHS, sandboxByDefault, sandboxProblem, seesHostPaths, stepPaths, type StepPaths, type StepResult, type ToolLimits } from './sandbox.ts';
import { checkCanBuild32, findCompiler, FLAGS, type Compiler, type CompilerName } from './compiler.ts';

export { FLAGS, type CompilerName } from './compiler.ts';

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
  /** The cache of compiled objects and linked programs, shared by every lab and build (default: <repo>/build/steps). */
  cacheDir?: string;
}

export interface StepCounts {
  compiled: number;
  linked: number;
  reused: number;
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
      /** The compiles and links this build ran, and those it took from the step cache (all zero when `cached`). */
      steps: StepCounts;
    }
  | {
      ok: false;
      /** What the compiler or linker said (bounded), with temporary paths removed. */
      log: string;
      stage: BuildStage;
    };

/** Where a program's linker script is looked for (in the lab folder) when the manifest names none. */
export const DEFAULT_PROGRAM_LINKER_SCRIPT = 'programs/program.ld';

/** The most compiler output a failed build keeps: enough for every error a student needs to see. */
export const LOG_LIMIT = DEFAULT_LIMITS.outputBytes;
/** The line of a failed build's log that a one-line summary quotes: the first that says error, else the first. */
export function firstErrorLine(log: string): string {
  const lines = log.split('\n');
  return (lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '').trim();
}

/** Builds kept per output directory; older ones are removed after a new build. */
const KEEP_BUILDS = 4;
/**
 * A build used this recently is never removed, however many are newer:
 * another grader (a batch's next submission, a second terminal) may have
 * just made or found it and not yet read it. The host clock decides only
 * when a folder is tidied away, never what a build or a grade holds.
 */
const IN_USE_MS = 10 * 60 * 1000;
const KEY_DIR = /^[0-9a-f]{24}$/;

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
    inputs = readInputs(root, inputPlan(targets), lab.number, options.submission);
  } catch (e) {
    if (e instanceof InputProblem) return { ok: false, stage: 'kernel', log: `${e.message}\n` };
    throw e;
  }
  for (const target of targets) {
    const missing = missingInput(target, inputs);
    if (missing) return { ok: false, stage: target.stage, log: missing };
  }

  const hashes = hashInputs(inputs);
  const key = buildKey(compiler, sandbox, targets, hashes);
  const outDir = path.resolve(options.outDir ?? path.join(REPO_ROOT, 'build', `lab-${String(lab.number).padStart(2, '0')}`));
  const dest = path.join(outDir, key);
  const outputs = outputPaths(dest, lab);
  if ([outputs.kernel, ...Object.values(outputs.programs)].every((f) => existsSync(f))) {
    // Touch it: pruning keeps the most recently used builds.
    const now = new Date();
    await utimes(dest, now, now).catch(() => {});
    return { ok: true, ...outputs, cached: true, log: await readFile(path.join(dest, 'log.txt'), 'utf8').catch(() => ''), steps: { compiled: 0, linked: 0, reused: 0 } };
  }

  // Asked only when something is to be compiled: a cached grade starts no process.
  const problem = sandbox ? sandboxProblem() : null;
  if (problem !== null) throw new LabError(problem);
  const cacheDir = path.resolve(options.cacheDir ?? path.join(REPO_ROOT, 'build', 'steps'));
  await mkdir(outDir, { recursive: true });
  await mkdir(cacheDir, { recursive: true });
  // The course (solutions included) and every earlier build (the reference's among them) are what a build must not read.
  if (sandbox) checkPrivateFromBuilds([root, outDir, cacheDir]);
  await checkCanBuild32(compiler, sandbox);
  const work = await mkdtemp(path.join(os.tmpdir(), 'ringlab-build-'));
  // The staging directory sits beside its destination so the final rename stays on one file system.
  const staging = path.join(outDir, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const dirs = { hostSrc: path.join(work, 'src'), hostOut: path.join(work, 'out') };
    await stageInputs(dirs.hostSrc, inputs);
    await mkdir(path.join(dirs.hostOut, 'programs'), { recursive: true });
    const cache = new StepCache(cacheDir, hashes);
    const steps: StepCounts = { compiled: 0, linked: 0, reused: 0 };
    const built = await buildTargets(compiler, targets, cache, { sandbox, limits, ...dirs }, steps);
    await cache.prune();
    const failed = built.find((b) => !b.ok);
    if (failed) return { ok: false, stage: failed.stage, log: bound(failed.log) };
    await mkdir(path.join(staging, 'programs'), { recursive: true });
    for (const [i, target] of targets.entries()) await placeOutput((built[i] as { elf: string }).elf, path.join(staging, target.outName));
    const log = bound(built.map((b) => b.log).join(''));
    await writeFile(path.join(staging, 'log.txt'), log);
    try {
      await rename(staging, dest);
    } catch (e) {
      // Another grader finished the same build first: theirs is identical, keep it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    }
    await pruneOldBuilds(outDir, key);
    return { ok: true, ...outputs, cached: false, log, steps };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** A linked ELF from the step cache into a build's folder: a hard link where the file system allows, else a copy. */
async function placeOutput(cached: string, dest: string): Promise<void> {
  try {
    await hardLink(cached, dest);
  } catch {
    await copyFile(cached, dest);
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
  for (const [name, spec] of Object.entries(lab.programs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
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

function buildKey(compiler: Compiler, sandbox: boolean, targets: Target[], hashes: InputHashes): string {
  const parts = [compiler.name, compiler.identity, sandbox ? 'sandbox' : 'host', JSON.stringify(FLAGS[compiler.name]), JSON.stringify(targets)];
  for (const [name, hash] of hashes) parts.push(name, hash);
  return sha256(...parts).slice(0, 24);
}

/** A name the compiler cannot take for an option or a response file (-x, @file): "./name" unless it starts with a dot. */
function asOperand(rel: string): string {
  return rel.startsWith('.') ? rel : `./${rel}`;
}

interface StepDirs {
  sandbox: boolean;
  limits: ToolLimits;
  hostSrc: string;
  hostOut: string;
}

/** What one target's build came to: its log (warnings, or the errors that stopped it) in source order, compiles then link. */
type BuiltTarget = { stage: BuildStage; ok: true; log: string; elf: string } | { stage: BuildStage; ok: false; log: string };

/** A step's outcome: its output in the cache, or what the tool said when it failed. */
type StepOutcome = { ok: true; step: CachedStep } | { ok: false; log: string };

/**
 * Builds every target: first every compile of every target, at once up to
 * the number of cores (a source that several programs share, such as their
 * library, compiled once), then every link, each step taken from the cache
 * when it was made before from the same bytes. Each target's ELF ends up at
 * its outName under hostOut.
 */
async function buildTargets(compiler: Compiler, targets: Target[], cache: StepCache, step: StepDirs, counts: StepCounts): Promise<BuiltTarget[]> {
  const flags = FLAGS[compiler.name];
  const seen = stepPaths(step);
  // Outside bubblewrap the staging directories are real paths; debug info names them as the sandbox would.
  const prefixMap = seesHostPaths(step) ? [`-ffile-prefix-map=${seen.src}=/src`, `-ffile-prefix-map=${seen.out}=/out`] : [];
  const stepKey = (...parts: string[]) => cache.baseKey(compiler.name, compiler.identity, step.sandbox ? 'sandbox' : 'host', ...parts);
  const parallel = os.availableParallelism();

  // One compile job per distinct (folder, flags, source): its object is copied to every target that lists it.
  interface Job { key: string; cwd: string; source: string; args: string[]; outcome?: Promise<StepOutcome> }
  const jobs = new Map<string, Job>();
  const plan = targets.map((target) => {
    const includes = target.includeDirs.map((d) => `-I${asOperand(d)}`);
    const objDir = path.posix.join('obj', target.stage.replace(' ', '-'));
    return {
      target,
      objects: target.sources.map((source) => {
        const args = [...flags.compile, ...includes];
        const key = stepKey('compile', JSON.stringify(args), target.cwd, source);
        if (!jobs.has(key)) jobs.set(key, { key, cwd: target.cwd, source, args });
        return { job: jobs.get(key)!, object: `${objDir}/${source.replaceAll('/', '_').replace(/^(\.\._)+/, '')}.o` };
      }),
    };
  });

  const compile = async (job: Job, object: string): Promise<StepOutcome> => {
    const hit = await cache.lookup(job.key);
    counts[hit ? 'reused' : 'compiled']++;
    if (hit) return { ok: true, step: hit };
    const depFile = `${object}.d`;
    await mkdir(path.dirname(path.join(step.hostOut, object)), { recursive: true });
    const r = await runStep({
      ...step, cwd: job.cwd, command: compiler.command,
      args: [...job.args, ...prefixMap, '-MD', '-MF', `${seen.out}/${depFile}`, '-c', asOperand(job.source), '-o', `${seen.out}/${object}`],
    });
    const log = clean(describe(r, step.limits), seen);
    if (failed(r)) return { ok: false, log };
    const read = await readDependencies(path.join(step.hostOut, depFile), seen, job.cwd);
    return { ok: true, step: await cache.store(job.key, read, path.join(step.hostOut, object), log) };
  };
  // The first target to list a source compiles it, writing its object where that target's link expects it.
  const firstObject = new Map<Job, string>();
  for (const { objects } of plan) for (const { job, object } of objects) if (!firstObject.has(job)) firstObject.set(job, object);
  await mapLimited([...firstObject], parallel, ([job, object]) => (job.outcome = compile(job, object)));

  return mapLimited(plan, parallel, async ({ target, objects }): Promise<BuiltTarget> => {
    const compiled = await Promise.all(objects.map(({ job }) => job.outcome!));
    const log = compiled.map((c) => (c.ok ? c.step.log : c.log)).join('');
    if (compiled.some((c) => !c.ok)) return { stage: target.stage, ok: false, log };
    const steps = objects.map((o, i) => ({ object: o.object, step: (compiled[i] as { step: CachedStep }).step }));
    const linked = await link(target, steps);
    return linked.ok ? { stage: target.stage, ok: true, log: log + linked.step.log, elf: linked.step.file } : { stage: target.stage, ok: false, log: log + linked.log };
  });

  async function link(target: Target, objects: { object: string; step: CachedStep }[]): Promise<StepOutcome> {
    const out = path.join(step.hostOut, target.outName);
    const key = stepKey('link', JSON.stringify([...flags.compile, ...flags.link]), target.cwd, target.linkerScript, ...objects.map((o) => o.step.key));
    const hit = await cache.lookup(key);
    counts[hit ? 'reused' : 'linked']++;
    if (hit) return { ok: true, step: hit };
    // The objects this target links, where the command line names them (those compiled for another target are copied).
    for (const { object, step: compiled } of objects) {
      const there = path.join(step.hostOut, object);
      if (!existsSync(there)) {
        await mkdir(path.dirname(there), { recursive: true });
        await copyFile(compiled.file, there);
      }
    }
    const depFile = `${target.outName}.d`;
    const r = await runStep({
      ...step, cwd: target.cwd, command: compiler.command,
      args: [
        ...flags.compile, ...prefixMap, ...flags.link, `-Wl,--dependency-file=${seen.out}/${depFile}`,
        '-T', asOperand(target.linkerScript), ...objects.map((o) => `${seen.out}/${o.object}`), '-o', `${seen.out}/${target.outName}`,
      ],
    });
    const log = clean(describe(r, step.limits), seen);
    if (failed(r)) return { ok: false, log };
    const read = await readDependencies(path.join(step.hostOut, depFile), seen, target.cwd);
    return { ok: true, step: await cache.store(key, read, out, log) };
  }
}

/** The course-relative inputs a step read, from its dependency file (paths as the tool saw them). */
async function readDependencies(file: string, seen: StepPaths, cwd: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const inCourse: string[] = [];
  for (const dep of parseDependencies(text)) {
    const abs = path.posix.resolve(seen.src, cwd, dep);
    // Also as the sandbox names it, in case a prefix map reached the dependency output.
    for (const src of [seen.src, SANDBOX_PATHS.src]) if (abs.startsWith(`${src}/`)) inCourse.push(abs.slice(src.length + 1));
  }
  return inCourse;
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
  const recent = Date.now() - IN_USE_MS;
  for (const old of builds.slice(KEEP_BUILDS - 1)) {
    if (old.mtime < recent) await rm(path.join(outDir, old.name), { recursive: true, force: true });
  }
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  // One iterator shared by every worker: each takes the next item when it is free.
  const pending = items.entries();
  const worker = async () => {
    for (const [i, item] of pending) results[i] = await fn(item, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
