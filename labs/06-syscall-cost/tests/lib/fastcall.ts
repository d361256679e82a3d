// Checks shared by lab 6's tests, read from the machine: how system calls
// entered and left the kernel, and the vDSO page in every address space.
// This folder is not scanned for tests: only files directly in tests/ are specs.

import { check, hex, ring3Directories } from '../../../../grader/api/checks.ts';
import type { Check, CheckOutcome } from '../../../../grader/api/spec.ts';
import type { EngineEvent } from '../../../../engine/events.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

/** Where the kernel maps the vDSO (kernel/memlayout.h). */
export const VDSO_BASE = 0xbffbf000;
const SYSCALL_VECTOR = 0x80;

/**
 * System calls took the path `path` and only that one: SYSENTER events and
 * no INT 0x80 from ring 3, or the reverse; at least `least` of them.
 */
export function systemCallsBy(path: 'sysenter' | 'int80', least: number): Check {
  return check(`every system call entered the kernel through ${path === 'sysenter' ? 'SYSENTER' : 'INT 0x80'} (at least ${least})`, (run) => {
    const sysenters = run.events.filter((e) => e.type === 'sysenter').length;
    const int80s = run.events.filter((e) => e.type === 'interrupt' && e.kind === 'software' && e.vector === SYSCALL_VECTOR && e.fromCpl === 3).length;
    const [mine, other, otherName] = path === 'sysenter' ? [sysenters, int80s, 'INT 0x80'] : [int80s, sysenters, 'SYSENTER'];
    if (other > 0) return fail(`no system call through ${otherName}`, `${other} through ${otherName}, ${mine} through the other`);
    return mine >= least ? PASS : fail(`at least ${least} system calls`, `${mine}`);
  });
}

/**
 * Every SYSEXIT went to ring 3 with the user code selector (SYSENTER_CS + 16,
 * RPL 3), at the vDSO's return path, with interrupts enabled.
 */
export function sysexitsToUser(): Check {
  return check('every SYSEXIT returns to ring 3 (CS 0x001b) in the vDSO, with IF = 1', (run) => {
    for (const e of run.events) {
      if (e.type !== 'sysexit') continue;
      if (e.toCpl !== 3 || e.toCs !== 0x1b) return fail('SYSEXIT to CS 0x001b, ring 3', `at instruction ${e.icount} to CS ${hex(e.toCs, 4)} (CPL ${e.toCpl})`);
      if (e.toEip < VDSO_BASE || e.toEip >= VDSO_BASE + 0x1000) return fail(`SYSEXIT to the vDSO (${hex(VDSO_BASE)}-${hex(VDSO_BASE + 0xfff)})`, `at instruction ${e.icount} to ${hex(e.toEip)}`);
      if ((e.eflags & 0x200) === 0) return fail('IF = 1 after SYSEXIT', `at instruction ${e.icount} EFLAGS ${hex(e.eflags)}`);
    }
    return PASS;
  });
}

/**
 * Every page directory ring 3 ran with maps VDSO_BASE to one and the same
 * frame, present, user-accessible and read-only. The directories are read as
 * they are at the end: use it in tests where no freed directory's frame is
 * handed out again.
 */
export function vdsoSharedReadOnly(): Check {
  return check(`the vDSO at ${hex(VDSO_BASE)} is the same read-only user page in every address space`, (run) => {
    let frame: number | undefined;
    const dirs = ring3Directories(run);
    if (dirs.length === 0) return fail('ring 3 ran', 'it never did');
    for (const dir of dirs) {
      const t = run.inspect.translate(VDSO_BASE, dir);
      if (t === null) return fail(`${hex(VDSO_BASE)} mapped in the directory at ${hex(dir)}`, 'it is not');
      if (!t.user) return fail(`${hex(VDSO_BASE)} user-accessible`, `supervisor-only in the directory at ${hex(dir)}`);
      if (t.writable) return fail(`${hex(VDSO_BASE)} read-only for ring 3`, `writable in the directory at ${hex(dir)} (frame ${hex(t.physical)})`);
      if (frame !== undefined && t.physical !== frame) return fail('one frame for every process\'s vDSO', `${hex(frame)} and ${hex(t.physical)}`);
      frame = t.physical;
    }
    return PASS;
  });
}

/** The measurement ran each path as often as it says: `int80` INT 0x80s and `sysenter` SYSENTERs from ring 3, at least. */
export function pathsTaken(int80: number, sysenter: number): Check {
  return check(`the measurement made at least ${int80} system calls through INT 0x80 and ${sysenter} through SYSENTER`, (run) => {
    const ints = run.events.filter((e) => e.type === 'interrupt' && e.kind === 'software' && e.vector === SYSCALL_VECTOR && e.fromCpl === 3).length;
    const enters = run.events.filter((e) => e.type === 'sysenter').length;
    return ints >= int80 && enters >= sysenter ? PASS : fail(`${int80} and ${sysenter}`, `${ints} through INT 0x80, ${enters} through SYSENTER`);
  });
}

/** The program's table: cycles per call by path, from its "cost: ..." lines. */
export function costTable(serial: string): Map<string, number> {
  return new Map([...serial.matchAll(/^cost: (function call|int 0x80|sysenter|sysenter with two cr3 writes) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/**
 * The grader's own count, from the events: the average cycles from each
 * entry to the kernel by `path` (an INT 0x80 from ring 3, or a SYSENTER) to
 * the return to ring 3 that follows it (IRET or SYSEXIT), one span per
 * entry in order; an entry that another trap from ring 3 interrupts first is
 * left out.
 */
export function kernelCycles(events: readonly EngineEvent[], path: 'int80' | 'sysenter'): number[] {
  const spans: number[] = [];
  let entered: number | undefined;
  for (const e of events) {
    const isEntry = path === 'sysenter' ? e.type === 'sysenter' : e.type === 'interrupt' && e.kind === 'software' && e.vector === SYSCALL_VECTOR && e.fromCpl === 3;
    if (isEntry) entered = e.cycles;
    else if (entered !== undefined && (e.type === 'iret' || e.type === 'sysexit') && e.toCpl === 3) {
      spans.push(e.cycles - entered);
      entered = undefined;
    } else if (e.type === 'interrupt' && e.fromCpl === 3) entered = undefined;
  }
  return spans;
}

function median(xs: number[]): number | undefined {
  return xs.length === 0 ? undefined : [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

/**
 * The program's table agrees with the machine: for INT 0x80, SYSENTER and
 * SYSENTER with two CR3 writes (the program's order: 2 x 1000 calls each),
 * the cycles per call it printed are at least the kernel's own part, counted
 * from the events (entry to the return to ring 3), and at most `slack` more
 * (the entry instruction and the user side: the vDSO, refills after CR3).
 */
export function costAgreesWithEvents(slack = 120): Check {
  return check(`the measured cycles per call agree with the kernel's part the machine counted (at most ${slack} more)`, (run) => {
    const table = costTable(run.serial);
    const enters = kernelCycles(run.events, 'sysenter');
    const kernel: [string, number | undefined][] = [
      ['int 0x80', median(kernelCycles(run.events, 'int80').slice(0, 2000))],
      ['sysenter', median(enters.slice(0, 2000))],
      ['sysenter with two cr3 writes', median(enters.slice(2000, 4000))],
    ];
    for (const [path, inKernel] of kernel) {
      const printed = table.get(path);
      if (printed === undefined || inKernel === undefined) return fail(`a "cost: ${path} N" line and 2000 such calls`, printed === undefined ? 'no such line' : 'not that many calls');
      if (printed < inKernel || printed > inKernel + slack) {
        return fail(`"${path}" between ${inKernel} and ${inKernel + slack} cycles (the kernel's part is ${inKernel})`, `the program printed ${printed}`);
      }
    }
    return PASS;
  });
}

/**
 * The paths rank as the cycle model prices them: a call costs next to
 * nothing, SYSENTER less than INT 0x80, and the two CR3 writes (150 each)
 * with the TLB refills after them at least `cr3Writes` more than SYSENTER.
 */
export function costBands(cr3Writes = 300): Check {
  return check('a call < SYSENTER < INT 0x80, and the CR3 path dearer than SYSENTER by at least its two CR3 writes', (run) => {
    const t = costTable(run.serial);
    const [call, int80, sysenter, cr3] = [t.get('function call'), t.get('int 0x80'), t.get('sysenter'), t.get('sysenter with two cr3 writes')];
    if (call === undefined || int80 === undefined || sysenter === undefined || cr3 === undefined) return fail('the four lines of the table', `${t.size} of them`);
    if (!(call < 20)) return fail('a function call under 20 cycles', `${call}`);
    if (!(sysenter < int80)) return fail('SYSENTER cheaper than INT 0x80', `SYSENTER ${sysenter}, INT 0x80 ${int80}`);
    if (!(cr3 - sysenter >= cr3Writes)) return fail(`the CR3 path at least ${cr3Writes} cycles dearer than SYSENTER`, `${cr3 - sysenter} (${cr3} against ${sysenter})`);
    return PASS;
  });
}
