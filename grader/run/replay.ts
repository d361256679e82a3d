// The commands a report prints under a failed test, to repeat its run by
// hand: `lab run N --test ID` (the lab built as grading built it, this test's
// machine), the same machine as a full `lab run --kernel ... --module ...`
// line, and the same kernel and modules under QEMU. All three are written
// from the machine configuration the grader ran (test-machine.ts), never from
// a second description of it.

import path from 'node:path';
import type { MachineConfig } from '../../engine/config.ts';
import type { Replay, TestResult } from '../model.ts';
import type { TestInputs } from './run-test.ts';
import type { ListedTest } from './test-list.ts';
import { shortId } from './select.ts';
import { testMachineConfig, unknownProgram } from './test-machine.ts';

/** What a replay command repeats of the grading command that printed it. */
export interface ReplaySetup {
  /** How `lab` was started: "npx lab", "lab" or "node grader/cli/lab.js". */
  lab: string;
  labNumber: number;
  /** The options that decide what is built and which tests there are, as given: ["--course", "x", "--cc", "clang"]. */
  options: string[];
  /** The hidden-test directory: replays of hidden tests name it. */
  hiddenDir?: string;
  /** Paths are written relative to this directory when they are under it. */
  cwd: string;
}

/** Where the grading build put the kernel and each program's ELF. */
export interface BuiltFiles {
  kernel: string;
  programs: Record<string, string>;
}

const QEMU_DEVICES = '-serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=1 -no-reboot';

/**
 * `results` with replay commands on each test that failed after its machine
 * ran or failed to boot: a build error or a broken test has no run to repeat.
 */
export function withReplays(
  results: readonly TestResult[],
  tests: readonly ListedTest[],
  inputs: TestInputs,
  built: BuiltFiles,
  setup: ReplaySetup,
): TestResult[] {
  const byId = new Map(tests.map((t) => [t.id, t]));
  return results.map((result) => {
    const test = byId.get(result.id);
    const ran = result.run.end !== 'build-error' && result.run.end !== 'grader-error';
    if (!test || result.status === 'passed' || !ran || unknownProgram(test.spec, inputs.programs) !== undefined) return result;
    const config = testMachineConfig(test.spec, inputs);
    const replay: Replay = { test: testCommand(test, tests, setup) };
    const run = runCommand(config, built, setup);
    if (run !== undefined) replay.run = run;
    const qemu = qemuCommand(config, built, setup);
    if (qemu !== undefined) replay.qemu = qemu;
    return { ...result, replay };
  });
}

/** `lab run 3 --test faults/cli`, with the options that built the graded kernel. */
function testCommand(test: ListedTest, tests: readonly ListedTest[], setup: ReplaySetup): string {
  const words = [setup.lab, 'run', String(setup.labNumber), '--test', shellWord(shortId(test, tests)), ...setup.options.map(shellWord)];
  if (test.hidden && setup.hiddenDir !== undefined) words.push('--hidden', shellWord(shownPath(setup.hiddenDir, setup.cwd)));
  return words.join(' ');
}

/** A module's file and arguments as `--module` and QEMU's -initrd take them: "path/cli.elf args". */
function moduleWords(config: MachineConfig, built: BuiltFiles, cwd: string): string[] | undefined {
  const words = [];
  for (const m of config.modules ?? []) {
    const file = built.programs[m.name];
    if (file === undefined) return undefined;
    const shown = shownPath(file, cwd);
    // Both split the file from its arguments at the first blank.
    if (/\s/.test(shown)) return undefined;
    words.push(shown + m.cmdline.slice(m.name.length));
  }
  return words;
}

/** The full `lab run --kernel ... --module ...` line, unless the test feeds COM1 (there is no file to name). */
function runCommand(config: MachineConfig, built: BuiltFiles, setup: ReplaySetup): string | undefined {
  const modules = moduleWords(config, built, setup.cwd);
  if (config.serialInput !== undefined || modules === undefined) return undefined;
  const words = [setup.lab, 'run', '--kernel', shellWord(shownPath(built.kernel, setup.cwd))];
  for (const m of modules) words.push('--module', shellWord(m));
  if (config.cmdline) words.push('--cmdline', shellWord(config.cmdline));
  words.push('--ram', String(config.ramMiB), '--max-instructions', String(config.maxInstructions), '--max-output', String(config.maxOutputBytes));
  return words.join(' ');
}

/**
 * The same kernel and modules under QEMU, unless the test feeds COM1 or a
 * module's command line has a comma (QEMU's -initrd separator). QEMU has no
 * instruction budget, and it gives each module its path as command line.
 */
function qemuCommand(config: MachineConfig, built: BuiltFiles, setup: ReplaySetup): string | undefined {
  const modules = moduleWords(config, built, setup.cwd);
  if (config.serialInput !== undefined || modules === undefined || modules.some((m) => m.includes(','))) return undefined;
  const words = ['qemu-system-i386', '-kernel', shellWord(shownPath(built.kernel, setup.cwd))];
  if (config.cmdline) words.push('-append', shellWord(config.cmdline));
  if (modules.length > 0) words.push('-initrd', shellWord(modules.join(',')));
  words.push('-m', String(config.ramMiB), QEMU_DEVICES);
  return words.join(' ');
}

/** Relative to `cwd` when the file is under it: shorter, and what the reader types. */
function shownPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** One word for a POSIX shell: as it is when that is safe, else in single quotes. */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_./:=,+@%-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
