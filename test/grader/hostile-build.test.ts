// A submission's sources are hostile: what the compiler can reach, how long
// and how much it may run, and whether the same sources always give the same
// bytes. Each case is something a student tried (issue 11) that leaked a file
// or outlasted the grader before the build ran in its sandbox.

import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLab, type BuildOutcome } from '../../grader/toolchain/build.ts';
import { findLab } from '../../grader/course/labs.ts';
import { DEFAULT_LIMITS, SANDBOX_ENV, type ToolLimits } from '../../grader/toolchain/sandbox.ts';
import { needs } from '../host-tools.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A file outside the course that no build may read: it stands for a hidden test or an instructor's file. */
const SECRET_TEXT = 'hidden-test-expects-0xC0FFEE';
const secretDir = join(scratch, 'instructor');
mkdirSync(secretDir, { recursive: true });
const secret = join(secretDir, 'secret.ts');
writeFileSync(secret, `export const answer = '${SECRET_TEXT}';\n`);

let n = 0;
function course(): string {
  const root = join(scratch, `course-${n++}`);
  cpSync(COURSE, root, { recursive: true });
  return root;
}

async function build(root: string, limits?: Partial<ToolLimits>): Promise<BuildOutcome> {
  return buildLab(root, findLab(root, 1).manifest, {
    cc: 'gcc',
    outDir: join(scratch, `out-${n++}`),
    // A cache of its own for every build: each of these compiles must really run.
    cacheDir: join(scratch, `steps-${n++}`),
    sandbox: true,
    ...(limits ? { limits: { ...DEFAULT_LIMITS, ...limits } } : {}),
  });
}

/** Runs the enclosing suite's builds with LAB_SANDBOX set to `kind` (bwrap: unset). */
function useSandboxKind(kind: string): void {
  let before: string | undefined;
  beforeAll(() => {
    before = process.env[SANDBOX_ENV];
    if (kind === 'bwrap') delete process.env[SANDBOX_ENV];
    else process.env[SANDBOX_ENV] = kind;
  });
  afterAll(() => {
    if (before === undefined) delete process.env[SANDBOX_ENV];
    else process.env[SANDBOX_ENV] = before;
  });
}

function failedLog(outcome: BuildOutcome): string {
  expect(outcome.ok).toBe(false);
  return outcome.ok ? '' : outcome.log;
}

// The same attempts against both kinds of sandbox: bubblewrap, and (where
// namespaces are forbidden, as in Gradescope's containers) the user nobody,
// for whom this scratch folder, made private by mkdtemp, is out of reach.
describe.each([
  { kind: 'bwrap', tools: ['gcc', 'bwrap'] as const, notThere: /No such file or directory/ },
  { kind: 'user', tools: ['gcc', 'user-sandbox'] as const, notThere: /Permission denied/ },
])('the $kind sandbox keeps files outside the submission out of reach', ({ kind, tools, notThere }) => {
  useSandboxKind(kind);
  describe('', needs(...tools), () => {
    it('#include of an absolute path and of ../ paths finds nothing, and the log quotes no byte of the file', async () => {
      for (const include of [secret, `../../../../../../../..${secret}`]) {
        const root = course();
        writeFileSync(join(root, 'kernel', 'kmain.c'), `#include "${include}"\nvoid kmain(void) {}\n`);
        const log = failedLog(await build(root));
        expect(log).toMatch(notThere);
        expect(log).not.toContain(SECRET_TEXT);
      }
    });

    it('.incbin of a host file does not assemble', async () => {
      const root = course();
      writeFileSync(join(root, 'kernel', 'boot.S'), readFileSync(join(COURSE, 'kernel', 'boot.S'), 'utf8') + `\n.section .rodata\n.incbin "${secret}"\n`);
      const log = failedLog(await build(root));
      expect(log).toContain('boot.S');
      expect(log).not.toContain(SECRET_TEXT);
    });

    it("a linker script's INPUT of a host file is not found", async () => {
      const root = course();
      writeFileSync(join(root, 'kernel', 'kernel.ld'), `TARGET(binary)\nINPUT(${secret})\n` + readFileSync(join(COURSE, 'kernel', 'kernel.ld'), 'utf8'));
      const log = failedLog(await build(root));
      expect(log).toContain(secret);
      expect(log).not.toContain(SECRET_TEXT);
    });

    it('a symbolic link in the kernel tree is refused by name, before any compile', async () => {
      const root = course();
      symlinkSync(secret, join(root, 'kernel', 'answer.h'));
      const outcome = await build(root);
      expect(outcome).toEqual({
        ok: false,
        stage: 'kernel',
        log: 'kernel/answer.h: a symbolic link in the course; the build takes regular files only, so copy the file in instead\n',
      });
    });

    it('a kernel tree that is itself a link to another tree is refused', async () => {
      const root = course();
      const elsewhere = join(scratch, `elsewhere-${n++}`);
      cpSync(join(root, 'kernel'), elsewhere, { recursive: true });
      rmSync(join(root, 'kernel'), { recursive: true });
      symlinkSync(elsewhere, join(root, 'kernel'));
      const log = failedLog(await build(root));
      expect(log).toMatch(/^kernel\/\S+: reached through a symbolic link in the course/);
    });
  });
});

describe('the user sandbox (LAB_SANDBOX=user)', needs('gcc', 'bwrap', 'user-sandbox'), () => {
  it('refuses to build while the course is readable by the user nobody', async () => {
    const open = mkdtempSync(join(tmpdir(), 'ringlab-open-course-'));
    try {
      chmodSync(open, 0o755);
      const root = join(open, 'course');
      cpSync(COURSE, root, { recursive: true });
      process.env[SANDBOX_ENV] = 'user';
      await expect(build(root)).rejects.toThrow(`${root} is readable by other users, so a student's build (as the user nobody, LAB_SANDBOX=user) could read it; make it private to root first: chmod 700 ${root}`);
    } finally {
      delete process.env[SANDBOX_ENV];
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('builds the very bytes bubblewrap builds', async () => {
    const root = course();
    const inBwrap = await build(root);
    process.env[SANDBOX_ENV] = 'user';
    try {
      const asNobody = await build(root);
      expect(inBwrap.ok && asNobody.ok).toBe(true);
      if (!inBwrap.ok || !asNobody.ok) return;
      expect(readFileSync(asNobody.kernel)).toEqual(readFileSync(inBwrap.kernel));
      for (const [name, file] of Object.entries(inBwrap.programs)) expect(readFileSync(asNobody.programs[name]!), name).toEqual(readFileSync(file));
    } finally {
      delete process.env[SANDBOX_ENV];
    }
  });
});

describe('the build sandbox bounds what a compile may cost', needs('gcc', 'bwrap'), () => {
  /** A header that includes itself twice at every level: exponential work, with a message per level or, guarded by depth, silent. */
  function selfIncluding(root: string, marker: string, silent: boolean): void {
    const twice = `#include "${marker}.h"\n#include "${marker}.h"\n`;
    writeFileSync(join(root, 'kernel', `${marker}.h`), silent ? `#if __INCLUDE_LEVEL__ < 150\n${twice}#endif\n` : twice);
    writeFileSync(join(root, 'kernel', 'kmain.c'), `#include "${marker}.h"\nvoid kmain(void) {}\n`);
  }

  it('a header that includes itself twice is a build failure within the limits, leaving no compiler running', async () => {
    const root = course();
    const marker = `selfinc${process.pid}x${n}`;
    selfIncluding(root, marker, false);
    const log = failedLog(await build(root));
    expect(log).toContain(`${marker}.h:1`);
    expect(Buffer.byteLength(log)).toBeLessThan(DEFAULT_LIMITS.outputBytes + 1024);
    expect(spawnSync('pgrep', ['-f', marker]).stdout.toString()).toBe('');
  });

  it.each([
    { limit: 'the CPU limit', limits: { cpuSeconds: 2, wallSeconds: 30 }, said: 'stopped after 2 s of CPU time' },
    { limit: 'the wall-clock limit', limits: { cpuSeconds: 60, wallSeconds: 2 }, said: 'the build step was stopped after 2 s' },
  ])('a preprocessor loop that prints nothing ends at $limit, leaving no compiler running', async ({ limits, said }) => {
    const root = course();
    const marker = `silentinc${process.pid}x${n}`;
    selfIncluding(root, marker, true);
    const log = failedLog(await build(root, limits));
    expect(log).toContain(said);
    expect(spawnSync('pgrep', ['-f', marker]).stdout.toString()).toBe('');
  });

  it('200,000 #warning lines end as a failure once the messages pass the log limit', async () => {
    const root = course();
    writeFileSync(join(root, 'kernel', 'kmain.c'), `${'#warning flood\n'.repeat(200_000)}void kmain(void) {}\n`);
    const log = failedLog(await build(root));
    expect(log).toContain(`[the compiler's messages passed ${DEFAULT_LIMITS.outputBytes >> 10} KiB and it was stopped; fix the first ones above]`);
    expect(Buffer.byteLength(log)).toBeLessThan(DEFAULT_LIMITS.outputBytes + 1024);
  });

  it('an output file past the file-size limit is a build failure that names the limit', async () => {
    const root = course();
    writeFileSync(join(root, 'kernel', 'kmain.c'), 'char big[4 << 20] = { 1 };\nvoid kmain(void) {}\n');
    const log = failedLog(await build(root, { fileBytes: 1 << 20 }));
    expect(log).toContain('an output file reached the 1 MiB limit');
  });

  it('a source file larger than any kernel source is refused without compiling it', async () => {
    const root = course();
    writeFileSync(join(root, 'kernel', 'kmain.c'), `/*${' '.repeat(5 << 20)}*/\nvoid kmain(void) {}\n`);
    const log = failedLog(await build(root));
    expect(log).toBe('kernel/kmain.c: 5.0 MiB; the build takes source files of at most 4 MiB\n');
  });
});

describe('builds are reproducible', needs('gcc', 'bwrap'), () => {
  it('__DATE__, __TIME__ and __TIMESTAMP__ give byte-identical kernels in two builds made apart', async () => {
    const root = course();
    writeFileSync(join(root, 'kernel', 'kmain.c'), 'const char stamp[] = __DATE__ " " __TIME__ " " __TIMESTAMP__;\nvoid kmain(void) {}\n');
    const first = await build(root);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    writeFileSync(join(root, 'kernel', 'kmain.c'), readFileSync(join(root, 'kernel', 'kmain.c')));
    const second = await build(root);
    if (!first.ok || !second.ok) throw new Error('the build failed');
    expect(second.cached).toBe(false);
    expect(readFileSync(second.kernel).equals(readFileSync(first.kernel))).toBe(true);
    expect(readFileSync(first.kernel).toString('latin1')).toContain('Jan  1 1970');
  });
});
