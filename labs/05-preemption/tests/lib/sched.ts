// Checks shared by lab 5's tests, read from the machine's events: timer
// interrupts, the ring and CR3 they found, and where the CPU pushed each
// trap frame. This folder is not scanned for tests: only files directly in
// tests/ are specs.

import { check, hex, ring3Traps } from '../../../../grader/api/checks.ts';
import type { Check, CheckOutcome, TestRun } from '../../../../grader/api/spec.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

/** The timer's vector: IRQ 0 after the PIC remap (kernel/traps.h). */
export const TIMER_VECTOR = 0x20;
/** Ticks a process runs in ring 3 before the timer switches (kernel/proc.h). */
export const QUANTUM = 2;
const PAGE = 0x1000;

/** Timer ticks that found each address space running in ring 3. */
export function ring3TicksByCr3(run: TestRun): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const t of ring3Traps(run)) {
    if (t.event.kind === 'external' && t.event.vector === TIMER_VECTOR) ticks.set(t.cr3, (ticks.get(t.cr3) ?? 0) + 1);
  }
  return ticks;
}

/** The kernel's "ticks pid N: T" lines, pid to T. */
export function reportedTicks(run: TestRun): Map<number, number> {
  return new Map([...run.serial.matchAll(/^ticks pid (\d+): (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]));
}

/**
 * The `spinners` processes that spent the most timer ticks in ring 3 got
 * equal shares within one quantum, counted by the machine (timer interrupts
 * from ring 3, by CR3); and the kernel's own "ticks pid N: T" lines for
 * `pids` report the same shares.
 */
export function fairShares(spinners: number, pids: number[]): Check {
  return check(`the ${spinners} spinners got equal shares of the CPU, within a quantum (${QUANTUM} ticks), as the machine counts them and as the kernel reports`, (run) => {
    const counted = [...ring3TicksByCr3(run).values()].sort((a, b) => b - a).slice(0, spinners);
    if (counted.length < spinners) return fail(`${spinners} address spaces interrupted by the timer in ring 3`, `${counted.length}`);
    const spread = Math.max(...counted) - Math.min(...counted);
    if (spread > QUANTUM) return fail(`ring-3 ticks per spinner within ${QUANTUM} of each other`, `the machine counted ${counted.join(', ')} ticks`);
    const reported = reportedTicks(run);
    const theirs = pids.map((pid) => reported.get(pid));
    if (theirs.some((t) => t === undefined)) return fail(`a line "ticks pid N: T" for each of pids ${pids.join(', ')}`, `lines for pids ${[...reported.keys()].join(', ') || 'none'}`);
    const sorted = (xs: number[]) => [...xs].sort((a, b) => b - a).join(', ');
    if (sorted(theirs as number[]) !== sorted(counted)) {
      return fail(`the kernel's ticks for pids ${pids.join(', ')} as the machine counted them (${sorted(counted)})`, `the kernel reported ${theirs.join(', ')}`);
    }
    return PASS;
  });
}

/**
 * Every trap from ring 3 pushed its frame on the kernel stack of the process
 * it interrupted: all of one address space's frames in one page, and no page
 * holding frames of two address spaces. For tests where every process lives
 * until the others are done with ring 3 (a directory freed and handed to a
 * later process would look like one process with two stacks).
 */
export function kernelStackPerProcess(processes: number): Check {
  return check(`each of the ${processes} processes traps onto a kernel stack of its own (ESP0 switched with the process)`, (run) => {
    const pages = new Map<number, Set<number>>();
    const owner = new Map<number, number>();
    for (const { event, cr3 } of ring3Traps(run)) {
      const page = Math.floor(event.frameAt / PAGE) * PAGE;
      const mine = pages.get(cr3) ?? new Set<number>();
      mine.add(page);
      pages.set(cr3, mine);
      const other = owner.get(page);
      if (other !== undefined && other !== cr3) {
        return fail('a kernel stack per process', `traps from the address spaces ${hex(other)} and ${hex(cr3)} both pushed their frames in the page at ${hex(page)} (at instruction ${event.icount})`);
      }
      owner.set(page, cr3);
    }
    if (pages.size < processes) return fail(`traps from ${processes} address spaces`, `from ${pages.size}`);
    for (const [cr3, set] of pages) {
      if (set.size > 1) return fail('one kernel stack per process', `the process with directory ${hex(cr3)} trapped onto ${set.size} pages: ${[...set].map((p) => hex(p)).join(', ')}`);
    }
    return PASS;
  });
}

/**
 * While nothing was runnable the CPU halted instead of spinning: the whole
 * run took fewer than `most` instructions, though at least `ticks` timer
 * interrupts came (virtual time passed while it halted).
 */
export function haltsWhenIdle(ticks: number, most: number): Check {
  return check(`the kernel halts (HLT) while every process sleeps: ${ticks} ticks pass in fewer than ${most} instructions`, (run) => {
    const seen = run.events.filter((e) => e.type === 'interrupt' && e.kind === 'external' && e.vector === TIMER_VECTOR).length;
    if (seen < ticks) return fail(`at least ${ticks} timer interrupts`, `${seen}`);
    const used = run.result.instructions;
    return used < most ? PASS : fail(`fewer than ${most} instructions (a halted CPU retires none)`, `${used}: the kernel spins while it waits`);
  });
}

/**
 * Timer ticks in ring 3 come in runs of QUANTUM per address space while two
 * or more compete: the scheduler switches after exactly QUANTUM ticks in
 * ring 3, not sooner, not later. Runs at the edges (a process's first and
 * last) may be shorter.
 */
export function switchesEveryQuantum(): Check {
  return check(`with processes competing, each runs exactly ${QUANTUM} ticks in ring 3 before the next one runs`, (run) => {
    const ticks = ring3Traps(run).filter((t) => t.event.kind === 'external' && t.event.vector === TIMER_VECTOR);
    const runs: { cr3: number; length: number; icount: number }[] = [];
    for (const t of ticks) {
      const last = runs.at(-1);
      if (last !== undefined && last.cr3 === t.cr3) last.length++;
      else runs.push({ cr3: t.cr3, length: 1, icount: t.event.icount });
    }
    const inner = runs.slice(1, -1);
    if (inner.length < 4) return fail('several switches between processes on timer ticks', `${runs.length} runs of ticks`);
    const wrong = inner.find((r) => r.length !== QUANTUM);
    return wrong === undefined ? PASS : fail(`runs of ${QUANTUM} ticks per process`, `the directory ${hex(wrong.cr3)} ran ${wrong.length} tick${wrong.length === 1 ? '' : 's'} in a row from instruction ${wrong.icount}`);
  });
}
