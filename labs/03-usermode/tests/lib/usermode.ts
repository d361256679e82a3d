// Checks shared by lab 3's public and hidden tests. The lines they parse are
// the handout's ("What the tests read"); keep the two in step. This folder is
// not scanned for tests: only files directly in tests/ are specs.

import {
  check, forbidding, exitedWith, hex, idtGatesDpl, kernelNotUserAccessible, noPanic, noRing3AfterFault, noTripleFault,
  processKilled, quote, serialInOrder, userNeverAtCpl0,
} from '../../../../grader/api/checks.ts';
import type { InterruptEvent, PrivilegeChangeEvent } from '../../../../engine/events.ts';
import { defineTest, type Check, type CheckOutcome, type TestRun, type TestSpec } from '../../../../grader/api/spec.ts';
import type { Visibility } from '../../../../grader/model.ts';
// The kill line names exceptions as lab 2's trap line does.
import { EXCEPTION_NAMES } from '../../../02-interrupts/tests/lib/interrupts.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

/** The user window (kernel/vm.h): user programs live here, and nothing else is user-accessible. */
export const USER_WINDOW = { from: 0x08000000, to: 0x083fffff };
/** Everything the kernel maps to itself: RAM, up to the user window. */
export const KERNEL_RANGE = { from: 0x00000000, to: 0x07ffffff };
/** The one stack page, and the unmapped page below it that a runaway stack hits. */
export const STACK_GUARD = { from: 0x083fe000, to: 0x083fefff };

const KDATA_SEL = 0x10;
const TSS_SEL = 0x28;


/** The handout's kill line for process `pid` and the ring-3 exception `e`. */
export function killLine(pid: number, e: InterruptEvent): string {
  const err = e.errorCode < 0 ? 0 : e.errorCode >>> 0;
  const cr2 = e.vector === 14 ? ` cr2 ${hex(e.cr2 ?? 0)}` : '';
  return `killed pid ${pid}: ${EXCEPTION_NAMES[e.vector] ?? 'reserved'} (vector ${e.vector}) err ${hex(err)}${cr2} at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}`;
}

function ring3Exceptions(run: TestRun): InterruptEvent[] {
  return run.events.filter((e): e is InterruptEvent => e.type === 'interrupt' && e.kind === 'exception' && e.fromCpl === 3);
}

export interface KillExpectation {
  pid: number;
  vector: number;
  /** The error code the CPU must push. */
  errorCode?: number;
  /** CR2 at the fault: one address, or an inclusive range. */
  cr2?: number | { from: number; to: number };
}

/**
 * The process's first ring-3 exception is `vector` with the expected error
 * code and CR2, and the kernel printed exactly the handout's kill line for it.
 */
export function killReported(want: KillExpectation): Check {
  const name = EXCEPTION_NAMES[want.vector];
  return check(`pid ${want.pid} is killed for ${name} (vector ${want.vector}) on one line with its error code${want.vector === 14 ? ', CR2' : ''} and CS:EIP`, (run) => {
    const e = ring3Exceptions(run)[0];
    if (!e) return fail(`exception ${want.vector} (${name}) raised in ring 3`, `no exception was raised in ring 3; ${ring3Story(run)}`);
    if (e.vector !== want.vector) return fail(`exception ${want.vector} (${name}) raised in ring 3`, `the first one was vector ${e.vector} at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}`);
    if (want.errorCode !== undefined && e.errorCode >>> 0 !== want.errorCode) {
      return fail(`the CPU pushes error code ${hex(want.errorCode)}`, `it pushed ${e.errorCode < 0 ? 'none' : hex(e.errorCode)}`);
    }
    if (want.cr2 !== undefined) {
      const cr2 = (e.cr2 ?? 0) >>> 0;
      const range = typeof want.cr2 === 'number' ? { from: want.cr2, to: want.cr2 } : want.cr2;
      if (cr2 < range.from || cr2 > range.to) {
        return fail(`CR2 ${range.from === range.to ? hex(range.from) : `in ${hex(range.from)}-${hex(range.to)}`} at the fault`, `CR2 = ${hex(cr2)}`);
      }
    }
    const line = killLine(want.pid, e);
    const lines = run.serial.split('\n');
    if (lines.includes(line)) return PASS;
    const [printed] = lines.filter((l) => l.startsWith('killed '));
    return fail(`the line ${quote(line, 160)}`, printed !== undefined ? `the kernel printed ${quote(printed, 160)}` : 'no line starting "killed "');
  });
}

/**
 * What the event stream says about ring 3 when no exception came from it:
 * whether the CPU entered ring 3 at all, and how the run ended. A hint must
 * agree with the events the report shows next to it.
 */
function ring3Story(run: TestRun): string {
  const entry = run.events.find((x): x is PrivilegeChangeEvent => (x.type === 'iret' || x.type === 'sysexit' || x.type === 'far-return') && x.toCpl === 3);
  const ended = `the run ended by ${run.result.reason}`;
  if (!entry) return `the CPU never entered ring 3 (no IRET, SYSEXIT or far return to it); ${ended}`;
  return `the CPU entered ring 3 at instruction ${entry.icount} (${entry.type} to ${hex(entry.toCs, 4)}:${hex(entry.toEip)}), and ${ended}`;
}

/** The program's own text that only runs if the kernel let it carry on past the fault. */
export function neverPrinted(text: string): Check {
  return forbidding(check(`the process never prints ${quote(text)} (it does not run past its fault)`, (run) => {
    const at = run.serial.indexOf(text);
    if (at < 0) return PASS;
    const expected = `no ${quote(text)}: the faulting process ends at the fault`;
    // Resumed after its fault, or never faulted at all: the events tell which.
    const printed = run.serialIcount(at);
    const fault = ring3Exceptions(run).find((e) => printed === undefined || e.icount < printed);
    if (fault) return fail(expected, `the process printed ${quote(text)}: the kernel resumed it after its exception (vector ${fault.vector} at ${hex(fault.fromCs, 4)}:${hex(fault.fromEip)}, instruction ${fault.icount})`);
    return fail(expected, `the process printed ${quote(text)}, and no exception was raised in ring 3 before: the instruction that should fault did not`);
  }));
}

/** The TSS is loaded (selector 0x28) with SS0 = kernel data and ESP0 on a kernel stack. */
export function tssReady(): Check {
  return asCause(check('the task register holds the TSS (0x28) with SS0 0x10 and ESP0 in kernel memory', (run) => {
    const tss = run.inspect.tss();
    if (!tss) return fail('a TSS loaded with LTR', 'the task register was never loaded');
    if ((tss.selector & ~3) !== TSS_SEL) return fail(`TR = ${hex(TSS_SEL, 4)}`, `TR = ${hex(tss.selector, 4)}`);
    if (tss.ss0 !== KDATA_SEL) return fail(`SS0 = ${hex(KDATA_SEL, 4)} (kernel data)`, `SS0 = ${hex(tss.ss0, 4)}`);
    if (tss.esp0 === 0 || tss.esp0 > KERNEL_RANGE.to) return fail('ESP0 at the top of a kernel stack', `ESP0 = ${hex(tss.esp0)}`);
    return PASS;
  }));
}

/** The check with the role of a cause: it reads the kernel's protection set-up (see CheckRole). */
function asCause(c: Check): Check {
  return { ...c, role: { ...c.role, cause: true } };
}

/** The engine-level guarantees every lab 3 run must keep. */
export function protectionChecks(): Check[] {
  return [
    noRing3AfterFault(),
    userNeverAtCpl0(USER_WINDOW),
    kernelNotUserAccessible(KERNEL_RANGE),
    idtGatesDpl({ allowUser: [0x80] }),
    noTripleFault(),
  ];
}

/** hello's lines when it runs as pid `pid`, then its exit. */
export function helloRuns(pid: number): (string | RegExp)[] {
  return [`hello: pid ${pid} in ring 3\n`, `hello: pid ${pid} back from yield (0), exiting\n`, `exit pid ${pid}: status 0\n`];
}

export interface KillTestInput extends Omit<KillExpectation, 'pid'> {
  program: string;
  /** What the program does wrong, for the test's name. */
  what: string;
  points: number;
  visibility?: Visibility;
}

/**
 * One misbehaving program (pid 1) followed by hello (pid 2): the first is
 * killed at its fault with the handout's line, hello still runs to the end,
 * and the kernel prints the summary and exits with 0.
 */
export function killTest(t: KillTestInput): TestSpec {
  const { program, what, points, visibility, ...want } = t;
  return defineTest({
    name: `${program}: ${what} kills the process, then hello runs`,
    points,
    ...(visibility ? { visibility } : {}),
    modules: [{ program }, { program: 'hello' }],
    checks: [
      processKilled({ pid: 1, vector: want.vector }),
      killReported({ pid: 1, ...want }),
      neverPrinted(`${program}: survived`),
      serialInOrder([`${program}: pid 1 will `, /\nkilled pid 1: /, ...helloRuns(2), 'all processes done: 1 exited, 1 killed\n']),
      exitedWith(0),
      noPanic(),
      ...protectionChecks(),
    ],
  });
}

/** A program that makes bad system calls (pid 1), gets its errors, and exits normally; hello runs after it. */
export function syscallTest(input: { program: string; what: string; lines: string[]; points: number; visibility?: Visibility }): TestSpec {
  return defineTest({
    name: `${input.program}: ${input.what}`,
    points: input.points,
    ...(input.visibility ? { visibility: input.visibility } : {}),
    modules: [{ program: input.program }, { program: 'hello' }],
    checks: [
      serialInOrder([...input.lines.map((l) => `${input.program}: ${l}\n`), `${input.program}: done\n`, 'exit pid 1: status 0\n', ...helloRuns(2), 'all processes done: 2 exited, 0 killed\n']),
      forbidding(check('no process is killed', (run) => {
        const e = ring3Exceptions(run)[0];
        return e ? fail('no exception in ring 3: bad arguments are errors, not faults', `exception ${e.vector} at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}`) : PASS;
      })),
      exitedWith(0),
      noPanic(),
      ...protectionChecks(),
    ],
  });
}
