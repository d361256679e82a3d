// The catalogue's checks that read the ring crossings (issue 20):
// ring3EntriesEnableInterrupts, kernelHalfIdentical and tssEsp0InKernelStack.
// Each passes on lab 3's reference running divzero then hello, and fails, with
// a message that says why, on a kernel or a run where it must.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, kernelHalfIdentical, ring3EntriesEnableInterrupts, ring3EntriesIopl0, timerPreempts, tssEsp0InKernelStack } from '../../grader/api/checks.ts';
import { defineTest, type Check, type DirectoryLoad, type TestRun } from '../../grader/api/spec.ts';
import { applyMutant, type Mutant } from '../../grader/authoring/mutants.ts';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import type { CheckResult } from '../../grader/model.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { DirectoryEntry } from '../../engine/inspect/page-walk.ts';
import type { MachineView } from '../../engine/inspect/machine-view.ts';
import { needs } from '../host-tools.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LABS = join(REPO, 'labs');
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-catalogue-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Lab 3's kernel with one edit of kernel/proc.c, built as grading builds it. */
async function mutated(name: string, find: string, replace: string): Promise<TestInputs> {
  const mutant: Mutant = { name, file: `${name}.json`, description: name, mustFail: [], edits: [{ file: 'kernel/proc.c', find, replace }] };
  const course = await applyMutant(LABS, mutant, join(scratch, name), 3);
  const built = await buildForTests(course, findLab(course, 3));
  if (!built.ok) throw new Error(`mutant ${name} does not build: ${built.log}`);
  return built.inputs;
}

async function reference(): Promise<TestInputs> {
  const built = await buildForTests(LABS, findLab(LABS, 3));
  if (!built.ok) throw new Error(`lab 3's reference does not build: ${built.log}`);
  return built.inputs;
}

/** Runs divzero then hello on `inputs` and returns each check's result. */
function run(inputs: TestInputs, checks: Check[]): CheckResult[] {
  const spec = defineTest({ name: 'catalogue', points: 1, modules: [{ program: 'divzero' }, { program: 'hello' }], checks });
  return runTest(spec, inputs).checks;
}

describe('the ring-crossing checks on lab 3', needs('gcc', 'bwrap'), () => {
  let ok: TestInputs;
  beforeAll(async () => { ok = await reference(); });

  it('all pass on the reference, and the events they read agree with the TSS', () => {
    // The engine's record of each frame, against an independent fact: lab 3 has one kernel stack, so every
    // trap from ring 3 pushes a 20-byte frame (24 with an error code) ending at the TSS's ESP0.
    const frames = check('every trap from ring 3 ends its frame at TSS.ESP0', (r) => {
      const esp0 = r.inspect.tss()?.esp0;
      const traps = r.events.filter((e) => e.type === 'interrupt' && e.fromCpl === 3);
      return esp0 !== undefined && traps.length >= 3
        && traps.every((e) => e.type === 'interrupt' && (e.frameBytes === 20 || e.frameBytes === 24) && e.frameAt + e.frameBytes === esp0);
    });
    const results = run(ok, [
      ring3EntriesEnableInterrupts(),
      kernelHalfIdentical(),
      tssEsp0InKernelStack((r) => {
        const top = r.inspect.tss()?.esp0 ?? 0;
        return { from: top - 16384, to: top - 1 };
      }),
      frames,
    ]);
    expect(results.filter((c) => !c.passed).map((c) => `${c.name}: ${c.observed}`)).toEqual([]);
  });

  it('ring3EntriesEnableInterrupts fails a kernel whose trap frames have IF = 0', async () => {
    const noIf = await mutated('no-if', '  tf->eflags = FL_IF | FL_RSVD1;            // IOPL 0', '  tf->eflags = FL_RSVD1;            // IOPL 0');
    const [c] = run(noIf, [ring3EntriesEnableInterrupts()]);
    expect(c?.passed).toBe(false);
    expect(c?.observed).toMatch(/^at instruction \d+ IRET entered ring 3 at 0x001b:0x08048000 with EFLAGS 0x00000002: IF = 0 \(\d+ of \d+ entries to ring 3 did so\)$/);
    expect(c?.where?.eip).toBe(0x08048000);
  });

  it('tssEsp0InKernelStack fails a kernel that points ESP0 at the bottom of kstack, and a stack the frames are not on', async () => {
    // The reference's kstack, from its TSS; the mutant's kstack is the same array at the same place.
    let esp0 = 0;
    run(ok, [check('read ESP0', (r) => { esp0 = r.inspect.tss()?.esp0 ?? 0; return esp0 !== 0; })]);
    const kstack = { from: esp0 - 16384, to: esp0 - 1 };
    const bottom = await mutated('esp0-bottom', '  tss.esp0 = (uint32_t)(kstack + sizeof(kstack));\n', '  tss.esp0 = (uint32_t)kstack;\n');
    const [c] = run(bottom, [tssEsp0InKernelStack(kstack)]);
    expect(c?.passed).toBe(false);
    expect(c?.expected).toBe(`the frame of every trap from ring 3 inside the kernel stack ${hex8(kstack.from)}-${hex8(kstack.to)}`);
    expect(c?.observed).toMatch(new RegExp(`^at instruction \\d+, .* from 0x001b:0x[0-9a-f]{8} pushed its 2[04]-byte frame at 0x[0-9a-f]{8}-0x[0-9a-f]{8} \\(ESP0 ${hex8(kstack.from)}, CR3 0x[0-9a-f]{8}\\)$`));

    // On the reference, a stack the frames are not on: the 16 KiB above kstack.
    const [above] = run(ok, [tssEsp0InKernelStack({ from: esp0, to: esp0 + 16383 })]);
    expect(above?.passed).toBe(false);
    expect(above?.observed).toMatch(new RegExp(`^at instruction \\d+, INT 0x80 from 0x001b:0x[0-9a-f]{8} pushed its 20-byte frame at ${hex8(esp0 - 20)}-${hex8(esp0 - 1)} \\(ESP0 ${hex8(esp0)}, CR3 0x[0-9a-f]{8}\\)$`));
  });
});

function hex8(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

// ---- kernelHalfIdentical on runs made up of events and directories --------------------------------

/**
 * A run that loaded each directory of `dirs` into CR3 in turn and entered ring
 * 3 under it; `end` is the directories as they are at the end, which the check
 * must not read (a freed directory's frame may hold anything by then).
 */
function fakeRun(dirs: Record<number, DirectoryEntry[]>, end: Record<number, DirectoryEntry[]> = {}): TestRun {
  const events: EngineEvent[] = [];
  const directoryLoads: DirectoryLoad[] = [];
  let icount = 1000;
  for (const [cr3, kernelHalf] of Object.entries(dirs)) {
    directoryLoads.push({ icount, directory: Number(cr3), kernelHalf });
    events.push({ type: 'cr-write', icount: icount, cycles: icount++, cr: 3, value: Number(cr3), eip: 0xc0101000 });
    events.push({ type: 'iret', icount: icount, cycles: icount++, fromCpl: 0, toCpl: 3, toCs: 0x1b, toEip: 0x08048000, eflags: 0x202 });
  }
  const inspect = {
    kernelDirectoryEntries: (cr3: number) => end[cr3] ?? dirs[cr3] ?? [],
  } as unknown as MachineView;
  return {
    spec: defineTest({ name: 'fake', points: 1, checks: [kernelHalfIdentical()] }),
    result: { reason: 'debug-exit', exitStatus: 1, instructions: icount, message: 'debug-exit' },
    serial: '',
    serialTruncated: false,
    events,
    eventsDropped: 0,
    directoryLoads,
    inspect,
    locate: () => undefined,
    endLocation: () => ({ icount, cs: 8, eip: 0xc0100000 }),
    serialIcount: () => undefined,
    instructionAt: () => undefined,
  } as unknown as TestRun;
}

/** Entries 768-1023 pointing at page tables from `base` on, with `flags`; `change` rewrites one. */
function kernelHalf(base: number, flags = 0x3, change?: { index: number; raw: number }): DirectoryEntry[] {
  return Array.from({ length: 256 }, (_, k) => {
    const index = 768 + k;
    const raw = change?.index === index ? change.raw : (base + k * 0x1000) | flags;
    return { index, raw, present: (raw & 1) !== 0, user: (raw & 4) !== 0, writable: (raw & 2) !== 0, largePage: false, address: raw & ~0xfff };
  });
}

describe('kernelHalfIdentical', () => {
  it('passes two directories that share the kernel page tables', () => {
    expect(kernelHalfIdentical({ directories: 2 }).evaluate(fakeRun({ 0x1000: kernelHalf(0x400000), 0x2000: kernelHalf(0x400000) }))).toEqual({ passed: true });
  });

  it('fails a directory with a copy of one kernel page table', () => {
    const o = kernelHalfIdentical().evaluate(fakeRun({
      0x1000: kernelHalf(0x400000),
      0x2000: kernelHalf(0x400000, 0x3, { index: 770, raw: 0x00900003 }),
    }));
    expect(o).toEqual({
      passed: false,
      expected: 'entry 770 of the directory at 0x00002000 equal to that of 0x00001000 (0x00402003)',
      observed: '0x00900003 when CR3 loaded it at instruction 1002: the kernel half is not shared (a copy, or a mapping added to one directory only)',
    });
  });

  it('judges each directory as it was at its load, not as its freed frame is at the end', () => {
    const shared = kernelHalf(0x400000);
    const reused = kernelHalf(0x400000, 0x3, { index: 900, raw: 0x12345007 });
    expect(kernelHalfIdentical({ directories: 2 }).evaluate(fakeRun({ 0x1000: shared, 0x2000: shared }, { 0x2000: reused }))).toEqual({ passed: true });
    const copied = kernelHalf(0x800000);
    expect(kernelHalfIdentical({ directories: 2 }).evaluate(fakeRun({ 0x1000: shared, 0x2000: copied }, { 0x2000: shared })).passed).toBe(false);
  });

  it('fails a kernel half that ring 3 may reach, even when every directory has it', () => {
    const o = kernelHalfIdentical().evaluate(fakeRun({ 0x1000: kernelHalf(0x400000, 0x7), 0x2000: kernelHalf(0x400000, 0x7) }));
    expect(o).toEqual({
      passed: false,
      expected: 'entry 768 of the directory at 0x00001000 supervisor-only (U/S = 0)',
      observed: '0x00400007 has U/S = 1: ring 3 may reach kernel memory at 0xc0000000',
    });
  });

  it('fails with fewer directories than asked for', () => {
    const o = kernelHalfIdentical({ directories: 2 }).evaluate(fakeRun({ 0x1000: kernelHalf(0x400000) }));
    expect(o.passed).toBe(false);
    expect(o.expected).toBe('at least 2 page directories in CR3 while ring 3 ran');
    expect(o.observed).toBe('1: 0x00001000');
  });
});

// ---- ring3EntriesIopl0 and timerPreempts on runs made up of events ---------------------------------

/** A run of just these events; checks that look elsewhere see an empty machine. */
function eventRun(events: EngineEvent[]): TestRun {
  return {
    spec: defineTest({ name: 'fake', points: 1, checks: [timerPreempts(1)] }),
    result: { reason: 'debug-exit', exitStatus: 1, instructions: 100_000, message: 'debug-exit' },
    serial: '', serialTruncated: false, events, eventsDropped: 0, directoryLoads: [],
    inspect: {} as MachineView,
    locate: () => undefined,
    endLocation: () => ({ icount: 100_000, cs: 8, eip: 0xc0100000 }),
    serialIcount: () => undefined,
    instructionAt: () => undefined,
  } as unknown as TestRun;
}

const toRing3 = (icount: number, eflags: number): EngineEvent => ({ type: 'iret', icount, cycles: icount, fromCpl: 0, toCpl: 3, toCs: 0x1b, toEip: 0x08048000, eflags });
const tickIn = (icount: number): EngineEvent => ({
  type: 'interrupt', icount, cycles: icount, vector: 0x20, kind: 'external', errorCode: -1, fromCpl: 3, toCpl: 0,
  fromCs: 0x1b, fromEip: 0x08048010, toCs: 8, toEip: 0xc0101000, gate: 'interrupt', frameAt: 0xc1fffeec, frameBytes: 20,
});
const load = (icount: number, cr3: number): EngineEvent => ({ type: 'cr-write', icount, cycles: icount, cr: 3, value: cr3, eip: 0xc0102000 });

describe('ring3EntriesIopl0', () => {
  it('passes IOPL 0 and fails IOPL 3, naming the return', () => {
    expect(ring3EntriesIopl0().evaluate(eventRun([toRing3(10, 0x202), toRing3(20, 0x246)]))).toEqual({ passed: true });
    const o = ring3EntriesIopl0().evaluate(eventRun([toRing3(10, 0x202), toRing3(20, 0x3202)]));
    expect(o).toEqual({ passed: false, expected: 'IOPL 0 in ring 3', observed: 'at instruction 20 the return to ring 3 left EFLAGS 0x00003202 (IOPL 3)' });
  });

  it('fails a run that never entered ring 3', () => {
    expect(ring3EntriesIopl0().evaluate(eventRun([])).passed).toBe(false);
  });
});

describe('timerPreempts', () => {
  it('counts ticks in ring 3 that found another address space than the tick before', () => {
    // A A B A: two switches.
    const run = eventRun([load(1, 0x1000), tickIn(10), tickIn(20), load(25, 0x2000), tickIn(30), load(35, 0x1000), tickIn(40)]);
    expect(timerPreempts(2).evaluate(run)).toEqual({ passed: true });
    const o = timerPreempts(3).evaluate(run);
    expect(o.passed).toBe(false);
    expect(o.observed).toBe('2 in 4 ring-3 ticks');
  });

  it('fails a kernel that only switches when processes give up the CPU: every tick finds the same one', () => {
    const run = eventRun([load(1, 0x1000), tickIn(10), tickIn(20), tickIn(30), load(35, 0x2000)]);
    expect(timerPreempts(1).evaluate(run).passed).toBe(false);
  });
});
