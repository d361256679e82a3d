// `lab run`: boot a kernel on the lab PC from a terminal, the way one would with
// `qemu-system-i386 -kernel kernel.elf -initrd "prog1 args,prog2"`, and exit
// with the run's status so shell scripts and Makefiles can use it. `lab run N
// --test ID` replays one test of lab N: the lab built as `lab grade` builds it,
// and that test's machine as the grader sets it up (run-lab-test.ts).

import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import { type Command, Option } from 'commander';
import { RAM_MIB } from '../../engine/ram-limits.ts';
import type { MachineConfig, ModuleImage, RunResult } from '../../engine/config.ts';
import { hexDigits, icountColumn } from '../../engine/hex.ts';
import type { Counters } from '../../engine/machine.ts';
import { statsLines } from './run-stats.ts';
import { programModule } from '../run/test-machine.ts';
import { addLabOptions, TEST_PATTERN_HELP, type LabOptions } from './lab-options.ts';

export const DEFAULT_MAX_INSTRUCTIONS = 2_000_000_000;
/**
 * Guest output allowed by default: what grading allows, the maxOutputBytes of
 * every lab's lab.json, so a kernel that prints forever stops here as it would
 * in a graded test instead of filling the disk or the terminal.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 65_536;
const ONE_MIB = 1024 * 1024;

/** Exit statuses; 0 and odd debug-exit statuses come from the guest. */
export { EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR } from './exit-status.mjs';
export const EXIT_BUDGET = 124; // as timeout(1) does when time runs out
export const EXIT_OUTPUT_LIMIT = 125;
export const EXIT_MACHINE_STOPPED = 126;

/** Input the command refuses before starting a machine; main prints it as one line and exits 2. */
export class InputError extends Error {
  override name = 'InputError';
}

export interface RunOptions extends LabOptions {
  kernel?: string;
  module: string[];
  cmdline: string;
  ram: string;
  maxInstructions: string;
  maxOutput: string;
  serialInput?: string;
  stats: boolean;
  trace?: string | boolean;
  test?: string;
  gdb?: string | true;
}

/** How the run is watched and reported, whatever machine it runs. */
export type RunDisplay = Pick<RunOptions, 'stats' | 'trace' | 'gdb'> & { kernelFile?: string };

/** What --trace prints on stderr: privilege-relevant events always; port I/O and the last instructions on request. */
const TRACE_KINDS = ['events', 'io', 'insn'] as const;
type TraceKind = (typeof TRACE_KINDS)[number];
/** With --trace=insn: how many of the last instructions are printed when the run ends. */
const TRACE_INSTRUCTIONS = 64;

/** Add `run` to the program; `done` receives the exit status when a run finishes. */
export function registerRunCommand(program: Command, done: (status: number) => void): void {
  const command = program
    .command('run')
    .description('boot a Multiboot kernel on the lab PC, or replay one test of lab N; guest serial (COM1) and port 0xE9 output go to stdout')
    .usage('--kernel <file> [options]\n       lab run <lab> --test <pattern> [options]')
    .argument('[lab]', 'with --test: the lab whose test to replay')
    .option('--test <pattern>', `replay the one test of lab N this names, exactly as lab grade runs it: ${TEST_PATTERN_HELP}`)
    .option('--kernel <file>', 'the kernel: an ELF32 file with a Multiboot header')
    .addOption(
      new Option(
        '--module <"file [args]">',
        'load a module (repeatable); as the grader does, it is named after the file (without directory and .elf) and its command line is that name and the args',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'none'),
    )
    .option('--cmdline <text>', 'the kernel command line (multiboot cmdline)', '')
    .option('--ram <MiB>', `guest RAM in MiB, ${RAM_MIB.min} to ${RAM_MIB.max}`, String(RAM_MIB.default))
    .addOption(
      new Option('--max-instructions <n>', 'stop after this many instructions (exit 124)').default(
        String(DEFAULT_MAX_INSTRUCTIONS),
        '2e9 = 2000000000',
      ),
    )
    .addOption(
      new Option('--max-output <bytes>', 'stop once the guest has written this many bytes to COM1 and 0xE9 (exit 125)').default(
        String(DEFAULT_MAX_OUTPUT_BYTES),
        `${DEFAULT_MAX_OUTPUT_BYTES}, as grading allows`,
      ),
    )
    .option('--serial-input <file>', 'bytes the guest reads from COM1')
    .option('--stats', 'print instructions retired, host seconds and MIPS, and modelled cycles by ring and CR3, to stderr', false)
    .option('--gdb [host:port]', 'start stopped and wait for gdb (target remote) on 127.0.0.1:1234, or the loopback address given')
    .option(
      '--trace [kinds]',
      'print events to stderr, one per line: interrupts and exceptions, ring changes, CR writes, GDT/IDT/TSS loads; ' +
        `add io for port I/O and insn for the last ${TRACE_INSTRUCTIONS} instructions (e.g. --trace=io,insn)`,
    );
  addLabOptions(command)
    .addHelpText(
      'after',
      `
With <lab> --test: the kernel, modules, command lines, serial input, RAM and
budgets are the test's (--ram, --max-instructions and --max-output override
them); --course, --submission, --hidden, --cc and --no-sandbox are as for
lab grade. Each failed test in lab grade's report prints this command.

Exit status:
  (v << 1) | 1   the guest wrote v to the isa-debug-exit port 0xF4 (as QEMU)
  0              the guest halted with interrupts off
  2              bad input: unreadable file, not a Multiboot ELF, bad option
                 (--kernel, --module and --serial-input take regular files no larger than --ram)
  124            the instruction budget ran out
  125            the guest wrote more output than allowed
  126            triple fault, or something the lab PC does not model
  70             internal error in lab itself`,
    )
    .action(async (lab: string | undefined, options: RunOptions, cmd: Command) => {
      const given = (option: string) => cmd.getOptionValueSource(option) === 'cli';
      if (lab !== undefined || options.test !== undefined) {
        const { replayTest } = await import('./run-lab-test.ts');
        done(await replayTest(lab, options, given));
      } else {
        done(await runKernel(options));
      }
    });
}

/** --ram, --max-instructions and --max-output, parsed; each only where `given` says the user gave it. */
/** --ram, --max-instructions and --max-output, as given (a replay takes the test's for those not given). */
export type LimitOptions = Partial<Pick<RunOptions, 'ram' | 'maxInstructions' | 'maxOutput'>>;

export function limitOptions(options: LimitOptions, given: (option: string) => boolean): Pick<MachineConfig, 'ramMiB' | 'maxInstructions' | 'maxOutputBytes'> {
  const { ram, maxInstructions, maxOutput } = options;
  return {
    ...(given('ram') && ram !== undefined ? { ramMiB: parseWholeNumber(ram, '--ram', 'a number of MiB', RAM_MIB.min, RAM_MIB.max) } : {}),
    ...(given('maxInstructions') && maxInstructions !== undefined
      ? { maxInstructions: parseWholeNumber(maxInstructions, '--max-instructions', 'a count', 1, Number.MAX_SAFE_INTEGER) }
      : {}),
    ...(given('maxOutput') && maxOutput !== undefined ? { maxOutputBytes: parseWholeNumber(maxOutput, '--max-output', 'a number of bytes', 1, Number.MAX_SAFE_INTEGER) } : {}),
  };
}

async function runKernel(options: RunOptions): Promise<number> {
  if (options.kernel === undefined) throw new InputError("give --kernel FILE, or a lab and --test to replay one of its tests (lab run 3 --test faults/cli)");
  for (const option of ['course', 'submission', 'hidden', 'cc'] as const) {
    if (options[option] !== undefined) throw new InputError(`--${option} is for replaying a test (lab run N --test ID); with --kernel it has no use`);
  }
  // Every limit, given or by default.
  const limits = limitOptions(options, () => true);
  const ramMiB = limits.ramMiB!;
  const config: MachineConfig = {
    ...limits,
    kernel: readInput(options.kernel, { what: 'kernel', option: '--kernel' }, ramMiB),
    kernelName: options.kernel,
    cmdline: options.cmdline,
    modules: options.module.map((spec) => readModule(spec, ramMiB)),
    serialInput:
      options.serialInput === undefined
        ? undefined
        : readInput(options.serialInput, { what: 'serial input', option: '--serial-input' }, ramMiB),
  };
  return runMachine(config, { ...options, ...(options.kernel !== undefined ? { kernelFile: options.kernel } : {}) });
}

/**
 * Run `config` to its end: guest output to stdout, the trace and the
 * statistics to stderr as asked; the exit status says how the run ended.
 */
export async function runMachine(config: MachineConfig, options: RunDisplay): Promise<number> {
  // Loaded only now, after the options are known to be good: the engine is
  // most of what Node has to load, so --help and bad input stay instant.
  const { Machine } = await import('../../engine/machine.ts');
  const trace = parseTrace(options.trace);
  if (trace.has('insn')) config.traceInstructions = TRACE_INSTRUCTIONS;
  const stdout = new GuestOutput();
  const machine = new Machine(config, { onOutput: (chunk: Uint8Array) => stdout.write(chunk) });
  if (trace.size > 0) {
    const { formatEvent } = await import('../../engine/inspect/format-event.ts');
    machine.subscribe((event) => {
      if (event.type === 'output') return;
      stdout.flush();
      writeBlocking(STDERR, `${formatEvent(event)}\n`);
    }, { ports: trace.has('io') });
  }
  const started = performance.now();
  let result: RunResult;
  let seconds: number;
  let counters: Counters | undefined;
  try {
    try {
      if (options.gdb !== undefined) {
        const { serveGdb } = await import('./gdb-session.ts');
        result = await serveGdb(machine, options.gdb, options.kernelFile);
      } else {
        result = machine.run();
      }
    } finally {
      stdout.flush();
    }
    seconds = (performance.now() - started) / 1000;
    if (trace.has('insn')) {
      for (const insn of machine.recentInstructions()) {
        writeBlocking(STDERR, `${icountColumn(insn.icount)} ring ${insn.cpl} ${hexDigits(insn.eip)}  ${insn.text}\n`);
      }
    }
    if (options.stats) counters = machine.counters();
  } finally {
    // Its memory goes back to this thread's spares (see engine/memory/spares.ts).
    machine.release();
  }

  if (counters !== undefined) {
    const mips = seconds > 0 ? result.instructions / seconds / 1e6 : 0;
    process.stderr.write(
      `lab: ${result.instructions} instructions retired in ${seconds.toFixed(3)} s of host time (${mips.toFixed(1)} MIPS)\n` +
      statsLines(counters).map((line) => `lab: ${line}\n`).join(''),
    );
  }
  return processExitCode(result);
}

/** What `lab run` exits with for a run that ended so; the guest's own debug-exit status passes through. */
function processExitCode(result: RunResult): number {
  const report = (code: number, fix = ''): number => {
    process.stderr.write(`lab: ${result.message}${fix}\n`);
    return code;
  };
  switch (result.reason) {
    case 'debug-exit':
      return result.exitStatus ?? 1;
    case 'halt':
      return 0;
    case 'budget':
      return report(EXIT_BUDGET, '; to allow more, raise --max-instructions');
    case 'output-limit':
      return report(EXIT_OUTPUT_LIMIT, '; to allow more, raise --max-output');
    case 'triple-fault':
    case 'reset':
    case 'unsupported':
    case 'stopped':
      return report(EXIT_MACHINE_STOPPED);
    default: {
      const unknown: never = result.reason;
      throw new Error(`unknown stop reason ${String(unknown)}`);
    }
  }
}

function parseTrace(value: string | boolean | undefined): Set<TraceKind> {
  if (value === undefined || value === false) return new Set();
  const kinds = new Set<TraceKind>(['events']);
  if (value === true) return kinds;
  for (const word of value.split(',').map((w) => w.trim()).filter(Boolean)) {
    if (!(TRACE_KINDS as readonly string[]).includes(word)) {
      throw new InputError(`--trace takes ${TRACE_KINDS.join(', ')} (comma-separated), not '${word}'`);
    }
    kinds.add(word as TraceKind);
  }
  return kinds;
}

/** Accepts 32, 2000000000, 2_000_000_000 and 2e9; nothing fractional, negative or hexadecimal. */
function parseWholeNumber(text: string, option: string, what: string, min: number, max: number): number {
  const value = /^[0-9][0-9_]*(e[0-9]+)?$/i.test(text) ? Number(text.replaceAll('_', '')) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InputError(`${option} must be ${what} ${range}, not '${text}'`);
  }
  return value;
}

/** A file named on the command line: what it is for and the option that names it, for messages. */
interface InputFile {
  what: string;
  option: string;
}

/**
 * Read a file the run needs, refusing before reading a byte whatever could
 * hang or exhaust the host: a device may never end (/dev/zero), a FIFO with no
 * writer never starts, and no file larger than the guest's RAM is of any use
 * to it. The read itself is bounded by the size the open file had.
 */
function readInput(path: string, input: InputFile, ramMiB: number): Uint8Array {
  let fd: number;
  try {
    refuseUnfit(statSync(path), path, input, ramMiB);
    // O_NONBLOCK: should a FIFO appear at this path after the look, opening it must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw unreadable(e, path, input);
  }
  try {
    const stats = fstatSync(fd);
    refuseUnfit(stats, path, input, ramMiB);
    const bytes = Buffer.alloc(stats.size);
    let length = 0;
    while (length < bytes.length) {
      const got = readSync(fd, bytes, length, bytes.length - length, null);
      if (got === 0) break;
      length += got;
    }
    return bytes.subarray(0, length);
  } catch (e) {
    throw unreadable(e, path, input);
  } finally {
    closeSync(fd);
  }
}

/** Throw InputError unless `stats` is of a regular file that fits in the guest's RAM. */
function refuseUnfit(stats: Stats, path: string, input: InputFile, ramMiB: number): void {
  if (stats.isDirectory()) {
    throw new InputError(`cannot read ${input.what} file ${path}: it is a directory; give ${input.option} a file`);
  }
  if (!stats.isFile()) {
    throw new InputError(
      `cannot read ${input.what} file ${path}: it is ${fileKind(stats)}, not a regular file; ` +
        `give ${input.option} a regular file (save a stream to a file first)`,
    );
  }
  if (stats.size > ramMiB * ONE_MIB) {
    const neededMiB = Math.ceil(stats.size / ONE_MIB);
    const fix = neededMiB <= RAM_MIB.max ? `run with --ram ${neededMiB} or more` : `the lab PC has at most ${RAM_MIB.max} MiB, give a smaller file`;
    throw new InputError(
      `cannot load ${input.what} file ${path}: it is ${stats.size} bytes, more than the machine's ${ramMiB} MiB of RAM; ${fix}`,
    );
  }
}

function fileKind(stats: Stats): string {
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** The one line for a file that could not be read: InputErrors as they are, system errors in words. */
function unreadable(e: unknown, path: string, input: InputFile): InputError {
  if (e instanceof InputError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
  return new InputError(`cannot read ${input.what} file ${path}: ${why}`);
}

/**
 * "build/programs/cli.elf a b" loads that file as the module the grader calls
 * cli: named cli, with the command line "cli a b". The arguments are what
 * follows the first blank after the file name, kept as they are.
 */
function readModule(spec: string, ramMiB: number): ModuleImage {
  const [, file, args] = /^\s*(\S*)(?:\s([^]*))?$/.exec(spec) ?? [];
  if (!file) throw new InputError(`--module needs a file name, as in --module "prog1 arg1 arg2"`);
  const bytes = readInput(file, { what: 'module', option: '--module' }, ramMiB);
  return programModule(basename(file).replace(/\.elf$/, ''), bytes, args);
}

const STDOUT = 1;
const STDERR = 2;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `data` before returning, waiting while a pipe is full. The
 * machine runs synchronously, so Node's own stream writes would queue in
 * memory behind a slow reader (`lab run --trace | less`) without bound; this
 * makes the reader's pace the machine's.
 */
function writeBlocking(fd: number, data: string | Uint8Array): void {
  let bytes = typeof data === 'string' ? Buffer.from(data) : data;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/**
 * Guest output on its way to stdout, bytes unchanged. A UART delivers a byte
 * at a time; writing each one would cost a system call per byte, so lines are
 * collected as C's stdio does for a terminal.
 */
class GuestOutput {
  private pending: Buffer[] = [];
  private size = 0;

  write(chunk: Uint8Array): void {
    // Copy: the engine may reuse its buffer once the callback returns.
    this.pending.push(Buffer.from(chunk));
    this.size += chunk.length;
    if (this.size >= 4096 || chunk.includes(0x0a)) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    writeBlocking(STDOUT, Buffer.concat(this.pending, this.size));
    this.pending = [];
    this.size = 0;
  }
}
