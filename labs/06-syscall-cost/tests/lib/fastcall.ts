// Checks shared by lab 6's tests, read from the machine: how system calls
// entered and left the kernel, and the vDSO page in every address space.
// This folder is not scanned for tests: only files directly in tests/ are specs.

import { check, hex, ring3Directories } from '../../../../grader/api/checks.ts';
import type { Check, CheckOutcome } from '../../../../grader/api/spec.ts';

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
