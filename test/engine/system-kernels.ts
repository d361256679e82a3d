// Running the system kernels of test/fixtures/system on the lab PC and under
// QEMU, and the checks system-vs-qemu.test.ts builds its tests from: the two
// outputs compared case by case (but for the cases held to the SDM in
// sdm-answers.ts), the run reaching its end, a case's lines as the engine
// printed them. Kernels are built once and each run is shared by the tests
// that read it.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { RunResult } from '../../engine/config.ts';
import { buildKernel, hasQemu, runQemu, type GuestRun } from '../fixtures/guest/build-guest.ts';
import { SDM_ANSWERS } from './sdm-answers.ts';

const SYSTEM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/system');
const LIBRARY = ['sys-entry.S', 'sys.c'].map((f) => path.join(SYSTEM_DIR, f));
const NO_QEMU = 'qemu-system-i386 not found: install the Debian package qemu-system-x86 to compare with QEMU';
/** Generous: the timer kernel waits through a few 100 Hz ticks, a few million instructions. */
export const BUDGET = 300_000_000;

export interface KernelSpec {
  source: string;
  defines?: Record<string, string | number>;
}

interface EngineRun {
  serial: string;
  result: RunResult;
}

interface CaseBlock {
  name: string;
  /** The lines the case printed, without its "case NAME" header. */
  lines: string[];
}

const kernels = new Map<string, Promise<string>>();
export function kernelFor(spec: KernelSpec): Promise<string> {
  const key = `${spec.source} ${JSON.stringify(spec.defines ?? {})}`;
  let built = kernels.get(key);
  if (!built) {
    built = buildKernel([...LIBRARY, path.join(SYSTEM_DIR, spec.source)], { defines: spec.defines });
    kernels.set(key, built);
  }
  return built;
}

const engineRuns = new Map<string, Promise<EngineRun>>();
/** One engine run per kernel and mode, shared by the tests that look at it. */
export function runOnEngine(spec: KernelSpec, compile: boolean): Promise<EngineRun> {
  const key = `${spec.source} ${JSON.stringify(spec.defines ?? {})} ${compile}`;
  let run = engineRuns.get(key);
  if (!run) {
    run = (async () => {
      const file = await kernelFor(spec);
      let serial = '';
      const machine = new Machine(
        // A low compile threshold makes the compiled run really run compiled blocks in these short kernels.
        { kernel: await readFile(file), kernelName: spec.source, maxInstructions: BUDGET, compile, compileThreshold: 20 },
        { onOutput(chunk, source) { if (source === 'com1') serial += Buffer.from(chunk).toString('latin1'); } },
      );
      const result = machine.run();
      return { serial, result };
    })();
    engineRuns.set(key, run);
  }
  return run;
}

async function runOnQemu(spec: KernelSpec): Promise<GuestRun & { text: string }> {
  const run = await runQemu(await kernelFor(spec), { timeoutMs: 60_000 });
  return { ...run, text: run.serial.toString('latin1') };
}

/** Splits serial output at its "case NAME" lines; text before the first case is a block named "". */
export function caseBlocks(serial: string): CaseBlock[] {
  const blocks: CaseBlock[] = [{ name: '', lines: [] }];
  for (const line of serial.split('\n')) {
    if (line.startsWith('case ')) blocks.push({ name: line.slice(5), lines: [] });
    // A case's own lines are indented; an unindented line (the kernel's closing words) ends it.
    else if (line !== '' && !line.startsWith(' ')) blocks.push({ name: '', lines: [line] });
    else blocks[blocks.length - 1]!.lines.push(line);
  }
  return blocks;
}

export function blockNamed(blocks: CaseBlock[], name: string): CaseBlock {
  const found = blocks.filter((b) => b.name === name);
  expect(found.map((b) => b.name), `exactly one case named "${name}"`).toEqual([name]);
  return found[0]!;
}

/** The output as case texts, with the cases held to the SDM instead replaced by a marker. */
function comparable(serial: string, sdmCases: string[]): string[] {
  return caseBlocks(serial).map((b) =>
    sdmCases.includes(b.name) ? `case ${b.name}\n  (checked against the SDM, not QEMU)` : `case ${b.name}\n${b.lines.join('\n')}`,
  );
}

function sdmCasesOf(kernel: string): string[] {
  return SDM_ANSWERS.filter((a) => a.kernel === kernel).map((a) => a.case);
}

/** The engine, compiled and interpreted, against QEMU: same serial output (but for SDM cases), same ending. */
export function compareWithQemu(title: string, spec: KernelSpec, ending: 'debug-exit' | 'triple-fault' | 'reset'): void {
  it(`${title}: the engine prints what QEMU prints and ends the same way`, async (ctx) => {
    ctx.skip(!hasQemu(), NO_QEMU);
    const [qemu, compiled, interpreted] = await Promise.all([
      runOnQemu(spec), runOnEngine(spec, true), runOnEngine(spec, false),
    ]);
    expect(qemu.timedOut, `QEMU did not finish: ${qemu.stderr}`).toBe(false);
    const sdm = sdmCasesOf(spec.source);
    expect(comparable(compiled.serial, sdm)).toEqual(comparable(qemu.text, sdm));
    expect(interpreted.serial, 'the interpreter prints what the block compiler prints').toBe(compiled.serial);
    if (ending === 'debug-exit') {
      // kmain returned: multiboot.S writes 0 to the isa-debug-exit port, and both exit with status 1.
      expect(qemu.status).toBe(1);
      expect(compiled.result.reason, compiled.result.message).toBe('debug-exit');
      expect(compiled.result.exitStatus).toBe(qemu.status);
    } else {
      // With -no-reboot QEMU turns a reset, the guest's own or a triple fault's, into a clean exit.
      expect(qemu.status).toBe(0);
      expect(compiled.result.reason, compiled.result.message).toBe(ending);
      expect(interpreted.result.reason).toBe(ending);
    }
  });
}

/** For kernels that end by debug-exit: they ran to their last line on the engine, QEMU or not. */
export function ranToTheEnd(title: string, spec: KernelSpec, lastLine: string): void {
  it(`${title}: runs to its end on the engine`, async () => {
    const { serial, result } = await runOnEngine(spec, true);
    expect(result.reason, result.message).toBe('debug-exit');
    expect(result.exitStatus).toBe(1);
    expect(serial.trimEnd().split('\n').pop()).toBe(lastLine);
  });
}

/** Each named case's first line, as the engine printed it with compiled blocks. */
export async function expectFirstLines(spec: KernelSpec, expected: Record<string, string>): Promise<void> {
  const blocks = caseBlocks((await runOnEngine(spec, true)).serial);
  for (const [name, line] of Object.entries(expected)) expect(blockNamed(blocks, name).lines[0], name).toBe(line);
}

export function sdmChecks(spec: KernelSpec): void {
  for (const answer of SDM_ANSWERS.filter((a) => a.kernel === spec.source)) {
    const check = async () => {
      const { serial } = await runOnEngine(spec, true);
      expect(blockNamed(caseBlocks(serial), answer.case).lines.filter((l) => l !== '')).toEqual(answer.lines);
    };
    if (answer.engineBug) {
      // Known engine bug (see KNOWN_ENGINE_BUGS): this fails today, and reports when it starts passing.
      it.fails(`${answer.case}: the SDM's answer [engine bug: ${answer.engineBug}] (${answer.why})`, check);
    } else {
      it(`${answer.case}: the SDM's answer (${answer.why})`, check);
    }
  }
}

/** A kernel that prints "<name>: end" and exits: QEMU's output, its end reached, and the SDM's answers where QEMU departs. */
export function comparedKernel(source: string): KernelSpec {
  const spec = { source };
  compareWithQemu(source, spec, 'debug-exit');
  ranToTheEnd(source, spec, `${source.replace(/\.c$/, '')}: end`);
  sdmChecks(spec);
  return spec;
}
