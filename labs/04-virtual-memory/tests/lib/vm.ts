// Checks shared by lab 4's tests. The lines they parse are the handout's
// ("What the tests read"). This folder is not scanned for tests: only files
// directly in tests/ are specs.

import { check, hex, kernelHalfIdentical, quote, ring3Directories } from '../../../../grader/api/checks.ts';
import type { InterruptEvent } from '../../../../engine/events.ts';
import type { Check, CheckOutcome, TestRun } from '../../../../grader/api/spec.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

/** Where programs are linked (programs/program.ld). */
export const ENTRY = 0x08048000;
/** The first kernel address (kernel/memlayout.h). */
export const KERNBASE = 0xc0000000;
/** The lowest address the stack may grow to: 256 KiB below TASK_SIZE (kernel/vm.h). */
export const USTACK_LIMIT = 0xbffc0000;

/** What fork-isolation alone prints from its fork on, whichever way its system calls enter the kernel (lab 6 takes SYSENTER). */
export const FORK_ISOLATION_LINES = [
  'fork-isolation: child 2 sees 2 and 20\n',
  'exit pid 2: status 42\n',
  'fork-isolation: parent sees 3 and 30; child 2 (the one forked) exited with 42\n',
  'all processes done: 2 exited, 0 killed\n',
];

/** The "free frames: N" lines, in order. */
function freeFrameCounts(run: TestRun): number[] {
  return [...run.serial.matchAll(/^free frames: (\d+)$/gm)].map((m) => Number(m[1]));
}

/** The kernel printed the free-frame count before the first process and at the end, and they agree: every frame came back. */
export function noFrameLeak(): Check {
  return check('every frame a process used is free again at the end ("free frames: N" before and after agree)', (run) => {
    const counts = freeFrameCounts(run);
    const [first, last] = [counts.at(0), counts.at(-1)];
    if (counts.length < 2 || first === undefined || last === undefined) return fail('two lines "free frames: N", before the first process and at the end', `${counts.length} such line${counts.length === 1 ? '' : 's'}`);
    if (first === 0) return fail('a free-frame count above 0 before the first process', 'free frames: 0');
    return first === last ? PASS : fail(`free frames: ${first} at the end, as before the first process`, `free frames: ${last} (${first - last} frames never came back)`);
  });
}

/**
 * Distinct page directories loaded into CR3 while ring 3 ran: one per process
 * alive at the same time (a directory freed with its process may come back
 * as a later process's).
 */
export function ownAddressSpaces(processes: number): Check {
  return check(`each of the ${processes} processes runs with a page directory of its own (CR3 differs)`, (run) => {
    const dirs = ring3Directories(run);
    return dirs.length >= processes
      ? PASS
      : fail(`at least ${processes} different CR3 values when entering ring 3`, `${dirs.length}: ${dirs.map((d) => hex(d)).join(', ') || 'none'}`);
  });
}

/** The kernel's link address: its first page holds the Multiboot header and code. */
const KERNLINK = 0xc0100000;

/**
 * The kernel half, read from the machine: the catalogue's kernelHalfIdentical
 * over the directories of at least two processes (one shared set of kernel
 * page tables, none user-accessible), and the kernel's code page at KERNLINK
 * mapped read-only. The kernel halves are compared as each directory was
 * when CR3 loaded it, so processes may come and go.
 */
export function kernelHalfShared(): Check {
  const shared = kernelHalfIdentical({ directories: 2 });
  return check('entries 768-1023 are the same in every page directory, supervisor-only, with the kernel code read-only', (run) => {
    const outcome = shared.evaluate(run);
    if (!outcome.passed) return outcome;
    // The directory in CR3 at the end: the kernel half is the same in all, and this one is not freed.
    const code = run.inspect.translate(KERNLINK, run.inspect.registers().cr3);
    if (code === null) return fail(`${hex(KERNLINK)} mapped`, 'it is not present');
    if (code.writable) return fail(`the kernel's code at ${hex(KERNLINK)} read-only`, `it is mapped writable (physical ${hex(code.physical)})`);
    return PASS;
  });
}

/**
 * No frame is writable in the user half of one process's directory and
 * mapped in another's (a frame both map read-only is allowed: code, or a
 * page shared copy-on-write after fork), and none holds the kernel's code
 * (the read-only pages from KERNLINK up), read from every directory in CR3
 * while ring 3 ran. Like kernelHalfShared, for tests where no freed frame is
 * handed out again.
 */
export function userFramesPrivate(): Check {
  return check('no user page maps a frame of the kernel\'s code, or one another process maps, unless both map it read-only', (run) => {
    const code = run.inspect.mappings(run.inspect.registers().cr3, { from: KERNLINK, to: KERNLINK + 0x3fffff }).find((r) => r.linear === KERNLINK);
    const inCode = (frame: number) => code !== undefined && !code.writable && frame >= code.physical && frame < code.physical + code.size;
    const holders = new Map<number, { dir: number; linear: number; writable: boolean }>();
    for (const dir of ring3Directories(run)) {
      for (const r of run.inspect.userHalf(dir)) {
        for (let at = 0; at < r.size; at += 0x1000) {
          const frame = (r.physical + at) >>> 0;
          const linear = (r.linear + at) >>> 0;
          if (inCode(frame)) return fail('user pages in frames of their own', `${hex(linear)} in the directory at ${hex(dir)} maps ${hex(frame)}, the kernel's code`);
          const other = holders.get(frame);
          if (other !== undefined && other.dir !== dir && (other.writable || r.writable)) {
            const [writer, where] = r.writable ? [dir, linear] : [other.dir, other.linear];
            return fail(
              'each frame writable in one process at most, and then mapped by no other',
              `${hex(frame)} is mapped by the directories at ${hex(other.dir)} and ${hex(dir)}, writable in the one at ${hex(writer)} (at ${hex(where)})`,
            );
          }
          if (other === undefined || r.writable) holders.set(frame, { dir, linear, writable: r.writable });
        }
      }
    }
    return PASS;
  });
}

export interface Kill {
  pid: number;
  errorCode: number;
  /** CR2 at the fault: one address, or an inclusive range. */
  cr2: number | { from: number; to: number };
}

/**
 * The kernel killed process `pid` for a page fault with the expected error
 * code and CR2, said so on the handout's line, and the CPU really raised that
 * fault in ring 3 (a kernel's line is not taken on its word).
 */
export function killedByPageFault(want: Kill): Check {
  const range = typeof want.cr2 === 'number' ? { from: want.cr2, to: want.cr2 } : want.cr2;
  const where = range.from === range.to ? hex(range.from) : `${hex(range.from)}-${hex(range.to)}`;
  return check(`pid ${want.pid} is killed by #PF error ${hex(want.errorCode)} at ${where}`, (run) => {
    const line = new RegExp(`^killed pid ${want.pid}: #PF page fault \\(vector 14\\) err (0x[0-9a-f]{8}) cr2 (0x[0-9a-f]{8}) at `, 'm').exec(run.serial);
    if (!line) {
      const seen = run.serial.split('\n').filter((l) => l.startsWith('killed '));
      const [killed] = seen;
      return fail(`a line "killed pid ${want.pid}: #PF page fault (vector 14) err ... cr2 ..."`, killed !== undefined ? `the kernel printed ${quote(killed, 160)}` : 'no line starting "killed "');
    }
    const [err, cr2] = [Number(line[1]), Number(line[2])];
    if (err !== want.errorCode || cr2 < range.from || cr2 > range.to) {
      return fail(`error code ${hex(want.errorCode)} and CR2 in ${where}`, `the kernel reported error ${line[1]} and CR2 ${line[2]}`);
    }
    const raised = run.events.some((e): e is InterruptEvent =>
      e.type === 'interrupt' && e.kind === 'exception' && e.fromCpl === 3 && e.vector === 14 && e.errorCode >>> 0 === err && (e.cr2 ?? -1) >>> 0 === cr2);
    return raised ? PASS : fail(`a #PF in ring 3 with error ${line[1]} and CR2 ${line[2]}`, 'the CPU raised no such fault: the line does not match what happened');
  });
}
