// What the suites need from the machine beyond Node.js and gcc, and how a
// suite whose tool is missing says so. Each tool is probed once per test file;
// a suite that needs a missing one skips, with the reason in the vitest output
// and in the closing summary (test/summary-reporter.ts reads it from the
// tests' meta, or from the note of `ctx.skip(note)`).
//
// Two variables, so that a machine can be made to look poorer or be held to
// having everything (README, "Test"):
//   RINGLAB_TEST_HIDE=qemu,chromium   the probes say these tools are missing ("all": every one)
//   RINGLAB_TEST_REQUIRE_TOOLS=1      a missing tool fails the suite instead of skipping it;
//                                     .ci/run sets it, having installed every tool

import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestOptions } from 'vitest';
import { sandboxProblem } from '../grader/toolchain/sandbox.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped: set on suites by `needs` and `skipBecause`. */
    skipReason?: string;
  }
}

const HIDE_ENV = 'RINGLAB_TEST_HIDE';
const REQUIRE_ENV = 'RINGLAB_TEST_REQUIRE_TOOLS';

/** A tool is named by what it is, and probed by using it the way the suites do. */
const TOOLS = {
  /** gcc -m32 building a freestanding 32-bit kernel: any gcc for x86 does. */
  gcc: () =>
    gcc32Builds(['-ffreestanding', '-nostdlib', '-static'], 'void _start(void) { for (;;) { } }\n')
      ? undefined
      : 'gcc cannot build a freestanding 32-bit kernel (Debian package gcc)',
  /** gcc -m32 building a static 32-bit Linux program (the host-CPU oracle): needs the 32-bit C library. */
  'gcc-multilib': () =>
    gcc32Builds(['-static'], '#include <stdio.h>\nint main(void) { return puts("") < 0; }\n')
      ? undefined
      : 'gcc -m32 cannot build 32-bit Linux programs: the 32-bit C library is missing (Debian package gcc-multilib)',
  qemu: () => (runs('qemu-system-i386', ['--version']) ? undefined : 'qemu-system-i386 is not installed (Debian package qemu-system-x86)'),
  chromium: () => (chromiumPath() ? undefined : 'chromium is not installed (Debian package chromium)'),
  clang: () =>
    runs('clang', ['--version']) && runs('ld.lld', ['--version']) ? undefined : 'clang or ld.lld is not installed (Debian packages clang and lld)',
  bwrap: () => sandboxProblem() ?? undefined,
  /** LAB_SANDBOX=user: root, and setpriv to become the user nobody. */
  'user-sandbox': () =>
    process.getuid?.() === 0 && runs('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'true'])
      ? undefined
      : 'the user sandbox needs the tests to run as root with setpriv (Debian package util-linux)',
  git: () => (runs('git', ['--version']) ? undefined : 'git is not installed'),
  /** Debian's gdb, which the gdb stub's tests drive in batch mode. */
  gdb: () => (runs('gdb', ['--version']) ? undefined : 'gdb is not installed (Debian package gdb)'),
  /** Info-ZIP and GNU tar make the archives that LMS exports hand the batch grader. */
  zip: () => (runs('zip', ['-v']) && runs('unzip', ['-v']) && runs('tar', ['--version']) ? undefined : 'zip, unzip or tar is not installed (Debian packages zip, unzip and tar)'),
} satisfies Record<string, () => string | undefined>;

export type Tool = keyof typeof TOOLS;

const problems = new Map<Tool, string | undefined>();

/** Why `tool` cannot be used here, or undefined when it can (probed once). */
function problemWith(tool: Tool): string | undefined {
  if (!problems.has(tool)) problems.set(tool, hidden().has(tool) ? `${tool} is hidden by ${HIDE_ENV}` : TOOLS[tool]());
  return problems.get(tool);
}

function hidden(): Set<string> {
  const names = (process.env[HIDE_ENV] ?? '').split(',').map((n) => n.trim()).filter((n) => n !== '');
  const unknown = names.filter((n) => n !== 'all' && !(n in TOOLS));
  if (unknown.length > 0) throw new Error(`${HIDE_ENV}: no tool named ${unknown.join(', ')}; the tools are ${Object.keys(TOOLS).join(', ')} (or all)`);
  return new Set(names.includes('all') ? Object.keys(TOOLS) : names);
}

/**
 * Why the suite cannot run here, or undefined when every tool is usable.
 * Under RINGLAB_TEST_REQUIRE_TOOLS=1 a missing tool throws instead.
 */
export function missing(...tools: Tool[]): string | undefined {
  const reasons = tools.map(problemWith).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return undefined;
  const reason = reasons.join('; ');
  if (process.env[REQUIRE_ENV] === '1') throw new Error(`${reason}, and ${REQUIRE_ENV} says every tool must be there`);
  return reason;
}

/** Whether a tool is usable: for a test that compares with an oracle only where there is one. */
export function hasTool(tool: Tool): boolean {
  return missing(tool) === undefined;
}

/**
 * Options for `describe` or `it`: skip when a tool is missing, saying why.
 *   describe('engine against QEMU', needs('qemu'), () => { ... })
 */
export function needs(...tools: Tool[]): TestOptions {
  return skipBecause(missing(...tools));
}

/**
 * The same for a reason that is no tool (the host kernel runs no 32-bit
 * programs): skip, saying `reason`, unless there is none.
 */
export function skipBecause(reason: string | undefined): TestOptions {
  if (reason === undefined) return {};
  console.warn(`skipped: ${reason}`);
  return { skip: true, meta: { skipReason: reason } };
}

/** Chromium's executable on PATH, if there is one. */
export function chromiumPath(): string | undefined {
  if (hidden().has('chromium')) return undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'chromium');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function runs(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
}

/** Whether gcc -m32 with `flags` compiles and links `source`. */
function gcc32Builds(flags: string[], source: string): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringlab-probe-'));
  try {
    const r = spawnSync('gcc', ['-m32', ...flags, '-x', 'c', '-', '-o', path.join(dir, 'probe')], { input: source, stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
    return !r.error && r.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
