import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, assert, describe, expect, it } from 'vitest';
import { LOG_LIMIT, buildLab } from '../../grader/toolchain/build.ts';
import { LabError, findLab } from '../../grader/course/labs.ts';
import { hasTool, needs } from '../host-tools.ts';
import { runLab } from '../lab-cli.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));
const haveMachine = existsSync(fileURLToPath(new URL('../../engine/machine.ts', import.meta.url)));

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-buildtest-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
/** A private copy of the fixture course, for tests that edit sources. */
function copyCourse(): string {
  const root = join(scratch, `course-${copies++}`);
  cpSync(COURSE, root, { recursive: true });
  return root;
}

function outDir(): string {
  return join(scratch, `out-${copies++}`);
}

/** ELF32, little-endian, EM_386. */
function expectElf32(file: string): void {
  const bytes = readFileSync(file);
  expect([...bytes.subarray(0, 6)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1, 1]);
  expect(bytes.readUInt16LE(18)).toBe(3);
}

describe('buildLab with gcc', needs('gcc', 'bwrap'), () => {
  it('builds the kernel and every program, then reuses them while nothing changes', async () => {
    const out = outDir();
    const lab = findLab(COURSE, 1).manifest;
    const first = await buildLab(COURSE, lab, { cc: 'gcc', outDir: out });
    if (!first.ok) throw new Error(first.log);
    expect(first.cached).toBe(false);
    expect(first.kernel.startsWith(out)).toBe(true);
    expect(Object.keys(first.programs)).toEqual(['hello']);
    const { hello } = first.programs;
    assert(hello !== undefined);
    expectElf32(first.kernel);
    expectElf32(hello);
    // The program is linked by its own script, far from the kernel at 1 MiB.
    expect(readFileSync(hello).readUInt32LE(24)).toBeGreaterThanOrEqual(0x08048000);
    expect(readFileSync(first.kernel).readUInt32LE(24)).toBeLessThan(0x200000);

    const second = await buildLab(COURSE, lab, { cc: 'gcc', outDir: out });
    expect(second).toEqual({ ...first, cached: true, steps: { compiled: 0, linked: 0, reused: 0 } });
  });

  it('two graders building the same tree at once both get the one finished build', async () => {
    const out = outDir();
    const lab = findLab(COURSE, 1).manifest;
    const [a, b] = await Promise.all([buildLab(COURSE, lab, { cc: 'gcc', outDir: out }), buildLab(COURSE, lab, { cc: 'gcc', outDir: out })]);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.kernel).toBe(b.kernel);
    expectElf32(a.kernel);
    expect(readdirSync(out).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
  });

  it('tidies away old builds, but never one another grader may have just made and not yet read', async () => {
    const out = outDir();
    const lab = findLab(COURSE, 1).manifest;
    // Six earlier builds (as their folders look), two of them from an hour ago.
    const names = ['a', 'b', 'c', 'd', 'e', 'f'].map((c) => c.repeat(24));
    for (const name of names) mkdirSync(join(out, name), { recursive: true });
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const name of names.slice(4)) utimesSync(join(out, name), hourAgo, hourAgo);
    const built = await buildLab(COURSE, lab, { cc: 'gcc', outDir: out });
    expect(built.ok).toBe(true);
    // The four recent ones stay, however many builds are newer; the old ones go.
    expect(readdirSync(out).filter((n) => names.includes(n)).sort()).toEqual(names.slice(0, 4));
  });

  it('rebuilds when a header changes, though no source lists it', async () => {
    const root = copyCourse();
    const out = outDir();
    const lab = findLab(root, 1).manifest;
    const first = await buildLab(root, lab, { cc: 'gcc', outDir: out });
    writeFileSync(join(root, 'kernel', 'io.h'), readFileSync(join(root, 'kernel', 'io.h'), 'utf8') + '\n/* edited */\n');
    const second = await buildLab(root, lab, { cc: 'gcc', outDir: out });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.cached).toBe(false);
    expect(second.kernel).not.toBe(first.kernel);
    // An editor's swap file is not an input.
    writeFileSync(join(root, 'kernel', '.kmain.c.swp'), 'swap');
    const third = await buildLab(root, lab, { cc: 'gcc', outDir: out });
    expect(third.ok && third.cached).toBe(true);
  });

  it('a compile error is a result holding the compiler message, not an exception', async () => {
    const outcome = await buildLab(COURSE, findLab(COURSE, 2).manifest, { cc: 'gcc', outDir: outDir() });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.stage).toBe('kernel');
    expect(outcome.log).toContain("broken.c:3:10: error: 'undeclared_variable' undeclared");
  });

  it('a program that does not compile names the program', async () => {
    const root = copyCourse();
    writeFileSync(join(root, '01-hello', 'programs', 'hello', 'hello.c'), 'void _start(void) { nonsense }\n');
    const outcome = await buildLab(root, findLab(root, 1).manifest, { cc: 'gcc', outDir: outDir() });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.stage).toBe('program hello');
    expect(outcome.log).toContain('programs/hello/hello.c:1:');
  });

  it('a link error shows object names without the temporary directory', async () => {
    const root = copyCourse();
    writeFileSync(join(root, 'kernel', 'kmain.c'), 'void missing(void);\nvoid kmain(void) { missing(); }\n');
    const outcome = await buildLab(root, findLab(root, 1).manifest, { cc: 'gcc', outDir: outDir() });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.log).toContain("undefined reference to `missing'");
    expect(outcome.log).toContain("kernel/kmain.c.o: in function `kmain'");
    expect(outcome.log).not.toContain(tmpdir() + "/ringlab-build-");
  });

  it('a source the manifest lists but the tree lacks fails the build with one line', async () => {
    const root = copyCourse();
    rmSync(join(root, 'kernel', 'kmain.c'));
    const outcome = await buildLab(root, findLab(root, 1).manifest, { cc: 'gcc', outDir: outDir() });
    expect(outcome).toEqual({
      ok: false,
      stage: 'kernel',
      log: 'kernel/kmain.c: no such file in the kernel tree; lab.json lists it for the kernel build\n',
    });
  });

  it('keeps a flood of compiler messages within the log limit', async () => {
    const root = copyCourse();
    const lines = Array.from({ length: 1000 }, (_, i) => `int f${i}(void) { return undeclared_${i}; }`);
    writeFileSync(join(root, 'kernel', 'broken.c'), lines.join('\n') + '\n');
    const outcome = await buildLab(root, findLab(root, 2).manifest, { cc: 'gcc', outDir: outDir() });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(Buffer.byteLength(outcome.log)).toBeGreaterThan(LOG_LIMIT / 2);
    expect(Buffer.byteLength(outcome.log)).toBeLessThanOrEqual(LOG_LIMIT + 100);
  });

  it('refuses a manifest path that leads out of the course', async () => {
    const lab = findLab(COURSE, 1).manifest;
    const escaping = { ...lab, kernel: { ...lab.kernel, sources: ['../../../../../etc/hostname'] } };
    await expect(buildLab(COURSE, escaping, { cc: 'gcc', outDir: outDir() })).rejects.toThrow(LabError);
  });
});

describe('buildLab with clang and lld', needs('clang', 'bwrap'), () => {
  it('builds the same lab, cached separately from gcc', async () => {
    const out = outDir();
    const lab = findLab(COURSE, 1).manifest;
    const first = await buildLab(COURSE, lab, { cc: 'clang', outDir: out });
    if (!first.ok) throw new Error(first.log);
    const { hello } = first.programs;
    assert(hello !== undefined);
    expectElf32(first.kernel);
    expectElf32(hello);
    const again = await buildLab(COURSE, lab, { cc: 'clang', outDir: out });
    expect(again.ok && again.cached).toBe(true);
    if (hasTool('gcc')) {
      const gcc = await buildLab(COURSE, lab, { cc: 'gcc', outDir: out });
      expect(gcc.ok && gcc.kernel !== first.kernel).toBe(true);
    }
  });

  it('reports a compile error with clang\'s message', async () => {
    const outcome = await buildLab(COURSE, findLab(COURSE, 2).manifest, { cc: 'clang', outDir: outDir() });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.log).toContain("use of undeclared identifier 'undeclared_variable'");
  });
});

describe('lab build', () => {
  function lab(args: string[], env: NodeJS.ProcessEnv = {}) {
    return runLab(args, { cwd: scratch, env });
  }

  it('prints the output paths, and the kernel boots on the lab PC', needs('gcc', 'bwrap'), () => {
    const run = lab(['build', '1', '--course', COURSE, '--cc', 'gcc']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const kernel = /^ {2}kernel {2}(\S+)$/m.exec(run.stdout)?.[1];
    const hello = /^ {2}hello {3}(\S+)$/m.exec(run.stdout)?.[1];
    expect(run.stdout).toMatch(/^01-hello: (built in \d+\.\d\d s \(\d+ compiles?, \d+ links?, \d+ reused\)|up to date)\n/);
    expect(kernel && existsSync(kernel)).toBe(true);
    expect(hello && existsSync(hello)).toBe(true);
    if (!haveMachine) return;
    const boot = lab(['run', '--kernel', kernel!, '--max-instructions', '1000000']);
    expect(boot.stdout).toBe('hello from the fixture kernel\n');
    expect(boot.status).toBe(1);
  });

  it('a compile error: the messages on stdout, one line on stderr, status 2', needs('gcc', 'bwrap'), () => {
    const run = lab(['build', '2', '--course', COURSE, '--cc', 'gcc']);
    expect(run.status).toBe(2);
    expect(run.stdout).toContain("error: 'undeclared_variable' undeclared");
    expect(run.stderr).toBe("lab: 02-broken: the kernel did not build; the compiler's messages are above\n");
  });

  it('a lab number the course lacks, or not a number', () => {
    const missing = lab(['build', '9', '--course', COURSE]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`lab: no lab 9 in ${COURSE}: it has 1, 2, 3\n`);
    const word = lab(['build', 'three', '--course', COURSE]);
    expect(word.status).toBe(2);
    expect(word.stderr).toBe("lab: the lab number must be a whole number such as 3 (see lab list), not 'three'\n");
  });

  it('no compiler on the PATH names the Debian packages to install', () => {
    const empty = join(scratch, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    const gcc = lab(['build', '1', '--course', COURSE], { PATH: empty, CC: '' });
    expect(gcc.status).toBe(2);
    expect(gcc.stderr).toBe('lab: gcc not found: lab builds kernels with it; install the Debian packages gcc and gcc-multilib\n');
    const clangRun = lab(['build', '1', '--course', COURSE, '--cc', 'clang'], { PATH: empty });
    expect(clangRun.status).toBe(2);
    expect(clangRun.stderr).toBe('lab: clang not found: lab builds kernels with it; install the Debian packages clang and lld\n');
  });

  it('a gcc that cannot build 32-bit code (no multilib) is the machine\'s problem, not a compile error', () => {
    // A stand-in gcc that fails on everything but --version, the way gcc -m32 does without 32-bit headers.
    const bin = join(scratch, 'fake-gcc-bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'gcc');
    writeFileSync(fake, [
      '#!/bin/sh',
      'for a in "$@"; do [ "$a" = --version ] && { echo "gcc (Fake) 12.2.0"; exit 0; }; done',
      'echo "/usr/include/stdint.h:26:10: fatal error: bits/libc-header-start.h: No such file or directory" >&2',
      'exit 1',
    ].join('\n') + '\n');
    chmodSync(fake, 0o755);
    const run = lab(['build', '1', '--course', COURSE, '--no-sandbox'], { PATH: `${bin}:${dirname(process.execPath)}`, CC: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: gcc cannot build 32-bit code on this machine \(.*bits\/libc-header-start\.h.*\); install the Debian package gcc-multilib\n$/);
  });

  it('a machine without bubblewrap is told what to install, or to pass --no-sandbox', needs('gcc'), () => {
    const root = copyCourse();
    writeFileSync(join(root, 'kernel', 'kmain.c'), readFileSync(join(root, 'kernel', 'kmain.c'), 'utf8') + '/* not built before */\n');
    const bin = join(scratch, 'gcc-only-bin');
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'gcc'))) symlinkSync('/usr/bin/gcc', join(bin, 'gcc'));
    const run = lab(['build', '1', '--course', root], { PATH: bin, CC: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('lab: the build sandbox needs bubblewrap (bwrap), which is not installed; install the Debian package bubblewrap, or pass --no-sandbox to build trusted sources without it\n');
  });

  it('a tool the build cannot start is the machine\'s problem, not a compile error', needs('gcc'), () => {
    // Without the sandbox, prlimit runs on the host: a PATH that has gcc but not prlimit cannot start it.
    const bin = join(scratch, 'gcc-only-bin');
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, 'gcc'))) symlinkSync('/usr/bin/gcc', join(bin, 'gcc'));
    const root = copyCourse();
    writeFileSync(join(root, 'kernel', 'kmain.c'), readFileSync(join(root, 'kernel', 'kmain.c'), 'utf8') + '/* not built before */\n');
    const run = lab(['build', '1', '--course', root, '--no-sandbox'], { PATH: bin, CC: '' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: the build could not start a tool it needs \(spawn prlimit ENOENT\); install it/);
    expect(run.stdout).toBe('');
  });

  it('CC naming neither gcc nor clang is refused in one line', () => {
    const run = lab(['build', '1', '--course', COURSE], { CC: 'tcc' });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('lab: CC=tcc: lab builds with gcc or clang only; set CC=gcc or CC=clang, or pass --cc\n');
  });
});
