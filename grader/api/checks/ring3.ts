// Checks on entering and leaving ring 3, read from the event stream: the
// address spaces, interrupts and IOPL on entry, the traps back, the timer taking
// the CPU back, the kernel half shared, and the TSS's ESP0.

import { IF } from '../../../engine/cpu/flags.ts';
import type { EngineEvent, InterruptEvent, PrivilegeChangeEvent } from '../../../engine/events.ts';
import type { Check, TestRun } from '../spec.ts';
import { endSummary, endWhere, fail, hex, PASS } from './outcome.ts';
import type { AddressRange } from './protection.ts';

/** The events that put the CPU in ring 3: IRET, SYSEXIT, far returns and task switches to CPL 3. */
function ring3Entries(run: TestRun): PrivilegeChangeEvent[] {
  return run.events.filter(isRing3Entry);
}

/**
 * Each event with the page directory in CR3 when it happened (without CR3's
 * flag bits; -1 before the first CR3 write): the one place that tracks CR3
 * through the events, for every check that asks which address space
 * something happened in.
 */
function* withDirectory(run: TestRun): Generator<{ event: EngineEvent; cr3: number }> {
  let cr3 = -1;
  for (const event of run.events) {
    if (event.type === 'cr-write' && event.cr === 3) cr3 = (event.value & ~0xfff) >>> 0;
    yield { event, cr3 };
  }
}

function isRing3Entry(e: EngineEvent): e is PrivilegeChangeEvent {
  return (e.type === 'iret' || e.type === 'sysexit' || e.type === 'far-return' || e.type === 'task-switch') && e.toCpl === 3;
}

/**
 * The page directories in CR3 when the CPU entered ring 3, in the order they
 * were first used (entries before any CR3 write ran without a directory of
 * the kernel's and name none).
 */
export function ring3Directories(run: TestRun): number[] {
  const dirs = new Set<number>();
  for (const { event, cr3 } of withDirectory(run)) if (isRing3Entry(event) && cr3 !== -1) dirs.add(cr3);
  return [...dirs];
}

/**
 * Every entry to ring 3 leaves EFLAGS.IF = 1, so the timer can take the CPU
 * back from a program that never makes a system call. Read from the EFLAGS
 * each IRET and SYSEXIT event records as the return left them: IF cannot be
 * inferred from what happens later, since a kernel that returns with IF = 0
 * simply receives no interrupt in ring 3, which looks the same as a quiet
 * device. SYSEXIT does not change EFLAGS, so after SYSENTER (which clears IF)
 * the kernel must STI first.
 */
export function ring3EntriesEnableInterrupts(): Check {
  return {
    name: 'every entry to ring 3 (IRET, SYSEXIT) leaves interrupts enabled (EFLAGS.IF = 1)',
    role: { cause: true },
    evaluate(run) {
      const expected = 'EFLAGS.IF = 1 after every entry to ring 3, so the timer can take the CPU back';
      const entries = ring3Entries(run);
      if (entries.length === 0) return fail(expected, `the CPU never entered ring 3; ${endSummary(run)}`, endWhere(run));
      const off = entries.filter((e) => (e.eflags & IF) === 0);
      const [first] = off;
      if (first === undefined) return PASS;
      const count = off.length > 1 ? ` (${off.length} of ${entries.length} entries to ring 3 did so)` : '';
      return fail(
        expected,
        `at instruction ${first.icount} ${first.type === 'iret' ? 'IRET' : first.type === 'sysexit' ? 'SYSEXIT' : 'a far return'} entered ring 3 at ${hex(first.toCs, 4)}:${hex(first.toEip)} with EFLAGS ${hex(first.eflags)}: IF = 0${count}`,
        run.locate(first),
      );
    },
  };
}

/**
 * Every entry to ring 3 (IRET, SYSEXIT) leaves IOPL 0, so ring 3 can neither
 * do port I/O nor turn interrupts off (IN, OUT, CLI and STI are #GP there,
 * SDM 6.8.1). Read from the EFLAGS each return event carries.
 */
export function ring3EntriesIopl0(): Check {
  return {
    name: 'every entry to ring 3 (IRET, SYSEXIT) leaves IOPL 0',
    role: { cause: true },
    evaluate(run) {
      const entries = ring3Entries(run);
      if (entries.length === 0) return fail('IOPL 0 at every entry to ring 3', `the CPU never entered ring 3; ${endSummary(run)}`, endWhere(run));
      const bad = entries.find((e) => ((e.eflags >>> 12) & 3) !== 0);
      if (bad === undefined) return PASS;
      return fail('IOPL 0 in ring 3', `at instruction ${bad.icount} the return to ring 3 left EFLAGS ${hex(bad.eflags)} (IOPL ${(bad.eflags >>> 12) & 3})`, run.locate(bad));
    },
  };
}

/** A trap from ring 3 (any interrupt event from CPL 3), with the directory in CR3 when it came. */
export interface Ring3Trap {
  event: InterruptEvent;
  /** CR3 without its flag bits; -1 before any CR3 write. */
  cr3: number;
}

/** Every interrupt or exception that came from ring 3, with the CR3 it found, in order. */
export function ring3Traps(run: TestRun): Ring3Trap[] {
  const traps: Ring3Trap[] = [];
  for (const { event, cr3 } of withDirectory(run)) if (event.type === 'interrupt' && event.fromCpl === 3) traps.push({ event, cr3 });
  return traps;
}

/**
 * The timer took the CPU from one address space and gave it to another at
 * least `times` times: consecutive timer interrupts (vector `vector`, IRQ 0
 * after the usual PIC remap) that arrived in ring 3 found different
 * directories in CR3. A kernel that never preempts passes every other check
 * of a test whose processes would finish on their own; this one it fails.
 */
export function timerPreempts(times: number, vector = 0x20): Check {
  return {
    name: `the timer switched between processes in ring 3 at least ${times} times`,
    evaluate(run) {
      const ticks = ring3Traps(run).filter((t) => t.event.kind === 'external' && t.event.vector === vector);
      const switches = ticks.filter((t, i) => i > 0 && t.cr3 !== ticks[i - 1]!.cr3).length;
      return switches >= times ? PASS : fail(`at least ${times} switches between timer ticks in ring 3`, `${switches} in ${ticks.length} ring-3 ticks`, endWhere(run));
    },
  };
}

/**
 * Directory entries 768-1023 (the kernel's top gigabyte) are the same in
 * every page directory loaded into CR3 from the first entry to ring 3 on, as
 * each was at its load (run.directoryLoads), so every process shares one set
 * of kernel page tables (not copies, which drift apart), and no present one is
 * user-accessible. Reading each directory when it was loaded, not at the end,
 * judges processes that have ended and whose frames went to others. At least
 * `directories` distinct directories must have run ring 3 (1 by default; 2 or
 * more for a kernel with an address space per process, or the comparison
 * compares nothing).
 */
export function kernelHalfIdentical(opts: { directories?: number } = {}): Check {
  const least = opts.directories ?? 1;
  return {
    name: 'entries 768-1023 are the same at every CR3 load once ring 3 has run, and none is user-accessible',
    role: { cause: true },
    evaluate(run) {
      const dirs = ring3Directories(run);
      const firstEntry = ring3Entries(run)[0];
      if (firstEntry === undefined || dirs.length < least) {
        const seen = dirs.length === 0 ? (firstEntry === undefined ? 'the CPU never entered ring 3' : 'ring 3 ran with no page directory loaded (no CR3 write before it)') : `${dirs.length}: ${dirs.map((d) => hex(d)).join(', ')}`;
        return fail(`at least ${least} page director${least === 1 ? 'y' : 'ies'} in CR3 while ring 3 ran`, seen, endWhere(run));
      }
      const before = run.directoryLoads.filter((l) => l.icount <= firstEntry.icount).length;
      const loads = run.directoryLoads.slice(Math.max(0, before - 1));
      const [reference] = loads;
      if (reference === undefined) return fail('a CR3 load before ring 3 ran', 'none recorded', endWhere(run));
      for (const load of loads) {
        for (const [i, pde] of load.kernelHalf.entries()) {
          const want = reference.kernelHalf[i];
          if (want === undefined || pde.raw !== want.raw) {
            return fail(
              `entry ${pde.index} of the directory at ${hex(load.directory)} equal to that of ${hex(reference.directory)}${want ? ` (${hex(want.raw)})` : ''}`,
              `${hex(pde.raw)} when CR3 loaded it at instruction ${load.icount}: the kernel half is not shared (a copy, or a mapping added to one directory only)`,
            );
          }
          if (pde.present && pde.user) {
            return fail(`entry ${pde.index} of the directory at ${hex(load.directory)} supervisor-only (U/S = 0)`, `${hex(pde.raw)} has U/S = 1: ring 3 may reach kernel memory at ${hex(pde.index << 22)}`);
          }
        }
      }
      return PASS;
    },
  };
}

/**
 * Where the kernel stack of the process running at an entry from ring 3 lies
 * (`cr3`: its directory, without flag bits; -1 before any CR3 write);
 * undefined when the process has none known.
 */
export type KernelStackOf = (run: TestRun, entry: { trap: InterruptEvent; cr3: number }) => AddressRange | undefined;

/**
 * At every trap from ring 3 (interrupt events from CPL 3 to CPL 0), the frame
 * the CPU pushed, on the stack it took from the TSS's SS0:ESP0, lies wholly
 * inside the kernel stack `stack` names: one range of linear addresses, or a
 * function giving the running process's (from the CR3 at the trap, tracked
 * through CR3 writes). Judged per trap from where the engine says it pushed
 * each frame, not from the TSS at the end: with a kernel stack per process,
 * the TSS at the end shows only the last process's ESP0, and a kernel that
 * forgets to switch ESP0 shows nothing wrong there.
 */
export function tssEsp0InKernelStack(stack: AddressRange | KernelStackOf): Check {
  const fixed = typeof stack === 'function' ? undefined : { from: stack.from >>> 0, to: (stack.to ?? 0xffffffff) >>> 0 };
  const rangeText = (r: { from: number; to: number }) => `${hex(r.from)}-${hex(r.to)}`;
  return {
    name: fixed
      ? `every trap from ring 3 pushes its frame on the kernel stack ${rangeText(fixed)} (TSS ESP0)`
      : "every trap from ring 3 pushes its frame on the running process's kernel stack (TSS ESP0)",
    role: { cause: true },
    evaluate(run) {
      const traps = ring3Traps(run).filter((t) => t.event.toCpl === 0);
      for (const { event: e, cr3 } of traps) {
        const directory = cr3 === -1 ? 'no CR3 loaded' : `CR3 ${hex(cr3)}`;
        const given = fixed ?? (stack as KernelStackOf)(run, { trap: e, cr3 });
        const what = e.kind === 'software' ? `INT ${hex(e.vector, 2)}` : e.kind === 'external' ? `device interrupt ${hex(e.vector, 2)}` : `exception ${e.vector}`;
        if (given === undefined) {
          return fail(`a kernel stack for the process running under ${directory}`, `the test's function names none (at instruction ${e.icount}, ${what})`, run.locate(e));
        }
        const range = { from: given.from >>> 0, to: (given.to ?? 0xffffffff) >>> 0 };
        const last = (e.frameAt + e.frameBytes - 1) >>> 0;
        if (e.frameAt >= range.from && last <= range.to && last >= e.frameAt) continue;
        return fail(
          `the frame of every trap from ring 3 inside the kernel stack ${rangeText(range)}`,
          `at instruction ${e.icount}, ${what} from ${hex(e.fromCs, 4)}:${hex(e.fromEip)} pushed its ${e.frameBytes}-byte frame at ${hex(e.frameAt)}-${hex(last)} (ESP0 ${hex(e.frameAt + e.frameBytes)}, ${directory})`,
          run.locate(e),
        );
      }
      if (traps.length === 0) return fail('traps from ring 3 to judge (system calls, faults or interrupts)', `none came from ring 3; ${endSummary(run)}`, endWhere(run));
      return PASS;
    },
  };
}
