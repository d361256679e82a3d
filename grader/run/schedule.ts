// The schedule of a run: which address space held the CPU, in which ring,
// and when the timer, system calls and faults came, read from the engine's
// events (never from what the kernel prints, except to put a pid and a name
// on a row, and to mark a kill by kill(), which no event tells apart from an
// exit). In labs 4 to 6 every process has its own page directory,
// so a directory in CR3 stands for a process; in lab 3 they share one, and
// the schedule has one row for all of them.
//
// Time is virtual: events count retired instructions, which stand still
// while the CPU sleeps in HLT, so the time each wake-up says it slept is
// added back. The axis is then put in timer ticks, because a tick is the
// unit a student's scheduler thinks in.

import type { EngineEvent } from '../../engine/events.ts';
import type { Schedule, ScheduleMark, ScheduleRow, ScheduleSpan } from '../model.ts';
import { ringsByColumn } from './schedule-cells.ts';

/** IRQ 0 (the PIT) after the course's PIC remap (labs/kernel/pic.c puts IRQ 0-15 at 0x20-0x2f). */
const TIMER_VECTOR = 0x20;
/** Directories with a row of their own; any more share the row 'other' (a fork bomb makes hundreds). */
const MAX_SPACES = 10;
/** Spans and marks kept per schedule: enough to read a few hundred ticks, small in results.json. */
export const MAX_SPANS = 240;
export const MAX_MARKS = 120;

type Ring = ScheduleSpan['ring'];
/** Who holds the CPU: the directory in CR3, or the time before any was loaded, or nobody (HLT). */
type Holder = number | 'boot' | 'idle';

interface TimedSpan { holder: Holder; ring: Ring; from: number; to: number }
interface TimedMark { holder: Holder; at: number; kind: ScheduleMark['kind']; vector?: number }

/** A run replayed in virtual time: spans, marks, the timer's ticks, and the directories in the order ring 3 first ran in them. */
interface Replayed {
  spans: TimedSpan[];
  marks: TimedMark[];
  ticks: number[];
  end: number;
  userOrder: number[];
}

export interface ScheduleInput {
  events: readonly EngineEvent[];
  serial: string;
  /** The instruction count at which the serial output's byte at `offset` was written (TestRun.serialIcount). */
  serialIcount?(offset: number): number | undefined;
  /** Events the recorder had no room for: the schedule then stops at the last one it kept. */
  eventsDropped: number;
}

export function scheduleOf(run: ScheduleInput): Schedule {
  const replayed = replay(run.events, killLines(run));
  const toAxis = axisOf(replayed.ticks);
  const { rows, rowOf } = rowsOf(replayed, run.serial);
  for (const s of replayed.spans) {
    // Within one instruction at the axis's resolution: nothing to draw.
    const from = toAxis(s.from);
    const to = toAxis(s.to);
    if (to > from) addSpan(rows[rowOf(s.holder)]!.spans, { from, to, ring: s.ring });
  }
  for (const row of rows) row.time = timeIn(row.spans);
  const end = toAxis(replayed.end);
  const spanCount = rows.reduce((n, r) => n + r.spans.length, 0);
  const cell = spanCount > MAX_SPANS ? coarsen(rows, end) : undefined;
  const marks = replayed.marks.map((m) => ({ at: toAxis(m.at), row: rowOf(m.holder), kind: m.kind, ...(m.vector !== undefined ? { vector: m.vector } : {}) }));
  const kept = boundMarks(marks, end);
  return {
    unit: replayed.ticks.length > 0 ? 'tick' : 'instruction',
    end,
    rows,
    marks: kept,
    marksDropped: marks.length - kept.length,
    ...(cell !== undefined ? { cell } : {}),
    ...(run.eventsDropped > 0 ? { eventsStopped: true } : {}),
  };
}

/**
 * Where the kernel says it ended a process by kill(): "killed pid N: kill()".
 * Nothing in the events tells that apart from an exit (the process just
 * never runs again), so this one mark comes from the kernel's words, at the
 * instruction that wrote them.
 */
function killLines(run: ScheduleInput): number[] {
  if (run.serialIcount === undefined) return [];
  const at: number[] = [];
  for (const m of run.serial.matchAll(/^killed pid \d+: kill\(\)/gm)) {
    const icount = run.serialIcount(m.index);
    if (icount !== undefined) at.push(icount);
  }
  return at;
}

/** Walks the events, keeping who holds the CPU and in which ring, in virtual time; `kills` are the instruction counts of kill() lines, in order. */
function replay(events: readonly EngineEvent[], kills: readonly number[]): Replayed {
  const out: Replayed = { spans: [], marks: [], ticks: [], end: 0, userOrder: [] };
  const faults: { mark: TimedMark; eip: number }[] = [];
  let holder: Holder = 'boot';
  let cpl = 0;
  let slept = 0;
  let last = 0;
  const runUntil = (to: number, who: Holder = holder, ring: Ring = cpl === 3 ? 'user' : 'kernel') => {
    if (to <= last) return;
    const prev = out.spans.at(-1);
    if (prev !== undefined && prev.holder === who && prev.ring === ring) prev.to = to;
    else out.spans.push({ holder: who, ring, from: last, to });
    last = to;
  };
  let nextKill = 0;
  for (const e of events) {
    // A kill line written before this event was written where the CPU was then.
    for (; nextKill < kills.length && kills[nextKill]! <= e.icount; nextKill++) out.marks.push({ holder, at: kills[nextKill]! + slept, kind: 'kill' });
    let now = e.icount + slept;
    switch (e.type) {
      case 'interrupt': {
        runUntil(now);
        if (e.halted !== undefined) {
          slept += e.halted;
          now += e.halted;
          runUntil(now, 'idle', 'idle');
        }
        const where = e.halted !== undefined ? 'idle' : holder;
        if (e.kind === 'external' && e.vector === TIMER_VECTOR) {
          out.ticks.push(now);
          out.marks.push({ holder: where, at: now, kind: 'timer', vector: e.vector });
        } else if (e.kind === 'software' && e.fromCpl === 3) {
          out.marks.push({ holder: where, at: now, kind: 'syscall', vector: e.vector });
        } else if (e.kind === 'exception' && e.fromCpl === 3) {
          const mark: TimedMark = { holder: where, at: now, kind: 'kill', vector: e.vector };
          out.marks.push(mark);
          faults.push({ mark, eip: e.fromEip });
        }
        cpl = e.toCpl;
        break;
      }
      case 'iret': case 'far-call': case 'far-return': case 'sysenter': case 'sysexit':
        runUntil(now);
        if ((e.type === 'sysenter' || e.type === 'far-call') && e.fromCpl === 3) out.marks.push({ holder, at: now, kind: 'syscall' });
        if (e.toCpl === 3) {
          if (typeof holder === 'number' && !out.userOrder.includes(holder)) out.userOrder.push(holder);
          settleFaults(faults, holder, e.toEip);
        }
        cpl = e.toCpl;
        break;
      case 'cr-write':
        if (e.cr !== 3) break;
        runUntil(now);
        holder = (e.value & ~0xfff) >>> 0;
        break;
      case 'end':
        runUntil(now);
        break;
      default:
        break;
    }
    out.end = Math.max(out.end, now);
  }
  runUntil(out.end);
  return out;
}

/**
 * The first return to ring 3 in a faulting process's address space says
 * what the kernel did: back at the faulting instruction (a page brought in)
 * or just past it (an instruction stepped over), the process went on;
 * anywhere else, it is another program, or a new one in the same directory,
 * and the faulting one was killed. A fault nothing returns after stays a kill.
 */
function settleFaults(pending: { mark: TimedMark; eip: number }[], holder: Holder, toEip: number): void {
  for (let i = pending.length - 1; i >= 0; i--) {
    const f = pending[i]!;
    if (f.mark.holder !== holder) continue;
    if (((toEip - f.eip) >>> 0) <= MAX_INSTRUCTION_BYTES) f.mark.kind = 'fault';
    pending.splice(i, 1);
  }
}

/** The longest x86 instruction: a kernel that skips the faulting one resumes at most this far past it. */
const MAX_INSTRUCTION_BYTES = 15;

/**
 * Virtual time to the axis: tick k sits at k, time between two ticks in
 * proportion, time after the last at the last tick's pace. Without a timer
 * interrupt the axis is virtual time itself.
 */
function axisOf(ticks: readonly number[]): (time: number) => number {
  if (ticks.length === 0) return (time) => time;
  return (time) => {
    // How many ticks came at or before `time`: a binary search, the ticks being in order.
    let lo = 0;
    let hi = ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ticks[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    const k = lo;
    const before = k === 0 ? 0 : ticks[k - 1]!;
    const after = k < ticks.length ? ticks[k]! : before + (k >= 2 ? before - ticks[k - 2]! : before);
    return round(after > before ? k + (time - before) / (after - before) : k);
  };
}

/** One row per holder in the order they first ran (the boot first, the idle CPU last), and where each holder's time goes. */
function rowsOf(replayed: Replayed, serial: string): { rows: ScheduleRow[]; rowOf: (h: Holder) => number } {
  const holders: Holder[] = [];
  // Marks too: a wake-up from a HLT of no length leaves a mark on the idle CPU and no span.
  for (const { holder } of [...replayed.spans, ...replayed.marks]) if (!holders.includes(holder)) holders.push(holder);
  const spaces = holders.filter((h): h is number => typeof h === 'number');
  const own = spaces.slice(0, MAX_SPACES);
  const names = processNames(replayed.userOrder, serial);
  const rows: ScheduleRow[] = [];
  const row = (kind: ScheduleRow['kind'], about: Partial<ScheduleRow> = {}): ScheduleRow => ({ kind, ...about, spans: [], time: { user: 0, kernel: 0, idle: 0 } });
  if (holders.includes('boot')) rows.push(row('boot'));
  for (const cr3 of own) rows.push(row('space', { cr3, ranUser: replayed.userOrder.includes(cr3), ...names.get(cr3) }));
  if (spaces.length > own.length) rows.push(row('other'));
  if (holders.includes('idle')) rows.push(row('idle'));
  const index = (kind: ScheduleRow['kind'], cr3?: number) => rows.findIndex((r) => r.kind === kind && r.cr3 === cr3);
  const rowOf = (h: Holder): number => {
    if (h === 'boot' || h === 'idle') return index(h);
    const i = index('space', h);
    return i >= 0 ? i : index('other');
  };
  return { rows, rowOf };
}

/**
 * pid and name per directory, from the kernel's "exec pid N: NAME" lines,
 * only when there are as many lines as directories ring 3 ran in: then the
 * k-th process started is taken to be the k-th directory to reach ring 3
 * (the course's round robin starts them in pid order). Anything else (a
 * fork, a shared directory, a reused one) leaves the rows to their CR3.
 */
function processNames(userOrder: readonly number[], serial: string): Map<number, { pid: number; name: string }> {
  // The name is the guest's text: printable ASCII only, and short, so that a label can be printed and drawn as it is.
  const started = [...serial.matchAll(/^exec pid (\d+): ([\x21-\x7e]{1,16})/gm)].map((m) => ({ pid: Number(m[1]), name: m[2]! }));
  const names = new Map<number, { pid: number; name: string }>();
  if (started.length === 0 || started.length !== userOrder.length) return names;
  userOrder.forEach((cr3, k) => names.set(cr3, started[k]!));
  return names;
}

function addSpan(spans: ScheduleSpan[], span: ScheduleSpan): void {
  const prev = spans.at(-1);
  if (prev !== undefined && prev.ring === span.ring && prev.to === span.from) prev.to = span.to;
  else spans.push(span);
}

function timeIn(spans: readonly ScheduleSpan[]): Record<Ring, number> {
  const time = { user: 0, kernel: 0, idle: 0 };
  for (const s of spans) time[s.ring] += s.to - s.from;
  return { user: round(time.user), kernel: round(time.kernel), idle: round(time.idle) };
}

/**
 * Redraws every row in equal cells, each the ring the row reached in it
 * (schedule-cells.ts), coarser until at most MAX_SPANS spans are left in
 * all; returns the cell width.
 */
function coarsen(rows: ScheduleRow[], end: number): number {
  const exact = rows.map((r) => r.spans);
  for (let count = MAX_SPANS; ; count = Math.floor(count / 2)) {
    // Rounded up, so that `count` cells cover the whole axis.
    const cell = Math.ceil((end / count) * 1000) / 1000;
    const coarse = exact.map((spans) => {
      const cells: ScheduleSpan[] = [];
      ringsByColumn(spans, cell, Math.ceil(end / cell)).forEach((ring, c) => {
        if (ring !== undefined) addSpan(cells, { from: round(c * cell), to: round((c + 1) * cell), ring });
      });
      return cells;
    });
    if (coarse.reduce((n, spans) => n + spans.length, 0) <= MAX_SPANS || count <= 1) {
      rows.forEach((row, i) => (row.spans = coarse[i]!));
      return cell;
    }
  }
}

/** Marks closer than this share of the axis fall on one another in a picture: one of each kind per row is kept. */
const MARK_RESOLUTION = 1 / 600;

/** One of each kind per row and picture unit; then what a student needs most first: kills, faults, system calls, and timer ticks only if all fit (the axis shows them anyway). */
function boundMarks(all: ScheduleMark[], end: number): ScheduleMark[] {
  const seen = new Set<string>();
  const marks = all.filter((m) => {
    const key = `${m.kind} ${m.row} ${Math.floor(m.at / (end * MARK_RESOLUTION))}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (marks.length <= MAX_MARKS) return marks;
  const rank: Record<ScheduleMark['kind'], number> = { kill: 0, fault: 1, syscall: 2, timer: 3 };
  const kept = marks
    .map((m, i) => ({ m, i }))
    .sort((a, b) => rank[a.m.kind] - rank[b.m.kind] || a.i - b.i)
    .slice(0, MAX_MARKS)
    .sort((a, b) => a.i - b.i)
    .map(({ m }) => m);
  // Timer marks all or none: the first hundred alone would look as if the timer had stopped.
  return kept.filter((m) => m.kind !== 'timer');
}

/** Six decimals: a millionth of a tick is about one instruction at the course's 100 Hz, and division leaves noise below it. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
