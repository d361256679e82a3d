// Running a debugged machine backwards. The lab PC is deterministic, so a
// point of the run is named by the debugger steps taken to reach it
// (Machine.debugSteps), and any earlier point is reached by restoring the
// last snapshot before it and running forward to it. Snapshots are taken as
// the run goes forward, one every `interval` steps: replaying at most that
// many steps bounds the time of a reverse step, and the snapshots share
// unchanged RAM pages, which bounds their memory.
//
// Reverse continue searches backwards one snapshot interval at a time: it
// replays the interval, notes the last breakpoint or watchpoint hit in it,
// and goes there, or on to the interval before. A watchpoint hit is reported
// before the step that wrote (or read) the location, as gdb expects of a
// target running backwards (the access is "undone" there).
//
// A register or memory write by the debugger makes a new history from that
// point: later snapshots are dropped, and a snapshot of the changed machine
// is kept, so that a run forward from before the change meets it again.

import type { RunResult } from '../config.ts';
import type { DebugControl, DebugPause, Machine, MachineSnapshot, WatchHit } from '../machine.ts';
import type { WatchSet } from './watches.ts';

/**
 * Steps between snapshots. Replay runs about 8 million steps a second, so a
 * reverse step replays for at most ~30 ms (measured 16-28 ms at the end of a
 * 5-million-step run); at this spacing a snapshot costs under a millisecond
 * to take and the RAM pages written since the last one, ~50 KiB for a small
 * kernel with paging and a timer (test/bench/reverse-step.bench.ts).
 */
export const SNAPSHOT_INTERVAL = 250_000;
/** Past this many snapshots, every other one is dropped and the spacing doubles: memory stays bounded on long runs. */
const MAX_SNAPSHOTS = 1024;

/**
 * Where a reverse execution stopped; `begin`: at the start of the recorded
 * run, nothing earlier to go to; `interrupted`: the debugger gave the search up.
 */
export type ReverseStop = { stop: 'step' | 'breakpoint' | 'begin' | 'interrupted' } | ({ stop: 'watchpoint' } & WatchHit);

const NO_BREAKPOINTS: ReadonlySet<number> = new Set();

export class Timeline {
  /** By step, ascending; the first is where the debugger took over, so every later point can be reached. */
  private readonly snapshots: MachineSnapshot[];
  /**
   * Snapshots taken where the debugger changed the machine, ascending: a run
   * forward from before one reaches its step with the machine as it was
   * before the change, and must take the change from the snapshot there.
   */
  private readonly edits: MachineSnapshot[] = [];

  constructor(private readonly machine: Machine, private interval = SNAPSHOT_INTERVAL) {
    this.snapshots = [machine.snapshot()];
  }

  /** The point of the run the machine is at: debugger steps taken. */
  get position(): number {
    return this.machine.debugSteps;
  }

  /** Snapshots held, and the RAM bytes they hold between them. */
  get cost(): { snapshots: number; ramBytes: number; interval: number } {
    let ramBytes = 0;
    for (const s of this.snapshots) ramBytes += s.state.ram.ownBytes;
    return { snapshots: this.snapshots.length, ramBytes, interval: this.interval };
  }

  /**
   * Machine.debugRun, taking a snapshot each time the run gets `interval`
   * steps past the last one, and making again the debugger's changes it passes.
   */
  run(control: DebugControl): DebugPause | RunResult {
    let taken = 0;
    for (;;) {
      const from = this.position;
      const toNext = this.last().step + this.interval - from;
      const edit = this.edits.find((e) => e.step > from);
      const chunk = Math.min(control.chunk - taken, Math.max(1, toNext), edit ? edit.step - from : Infinity);
      const outcome = this.machine.debugRun({ ...control, steps: control.steps - taken, chunk });
      taken += this.position - from;
      if (edit !== undefined && this.position === edit.step && 'pause' in outcome) this.machine.restore(edit);
      if (!('pause' in outcome) || outcome.pause !== 'running') return outcome;
      if (this.position >= this.last().step + this.interval) this.keep();
      if (taken >= control.chunk) return outcome;
    }
  }

  /** One step back; `begin` (and no move) at the start of the recorded run. */
  stepBack(): ReverseStop {
    if (this.position <= this.snapshots[0]!.step) return { stop: 'begin' };
    this.seek(this.position - 1);
    return { stop: 'step' };
  }

  /**
   * Back to the last point before this one where a breakpoint is, or before
   * the last step that changed a watched location; to the start of the
   * recorded run when there is none.
   */
  reverseContinue(breakpoints: ReadonlySet<number>, watches: WatchSet): ReverseStop {
    const search = this.searchBackwards(breakpoints, watches);
    for (;;) {
      const next = search.next();
      if (next.done === true) return next.value;
    }
  }

  /**
   * reverseContinue one snapshot interval at a time, so that the host can
   * read its connection between intervals (gdb's Ctrl-C): each value yielded
   * is the step the search has gone back to with no hit after it, where
   * `stopAt` leaves the machine if the search is given up.
   */
  *searchBackwards(breakpoints: ReadonlySet<number>, watches: WatchSet): Generator<number, ReverseStop> {
    let end = this.position;
    for (let i = this.lastIndexAtOrBefore(end - 1); i >= 0; i--) {
      const start = this.snapshots[i]!;
      const hit = this.lastHitIn(start, end, breakpoints, watches);
      if (hit !== null) {
        this.seek(hit.at);
        return hit.stop;
      }
      end = start.step;
      if (i > 0) yield end;
    }
    this.machine.restore(this.snapshots[0]!);
    return { stop: 'begin' };
  }

  /** Puts the machine back at `step`, a point a backwards search has reached (searchBackwards). */
  stopAt(step: number): void {
    this.seek(step);
  }

  /**
   * The debugger changed registers or memory here: the run from here on is a
   * new one. Snapshots of the old one from here on are dropped, and one of
   * the new state is taken so that going back past the change and forward
   * again comes back to it.
   */
  edited(): void {
    const at = this.position;
    while (this.snapshots.length > 0 && this.last().step >= at) this.snapshots.pop();
    while (this.edits.length > 0 && this.edits.at(-1)!.step >= at) this.edits.pop();
    const snapshot = this.machine.snapshot(this.snapshots.at(-1));
    this.snapshots.push(snapshot);
    this.edits.push(snapshot);
    this.machine.forgetReplay();
  }

  /** Puts the machine at step `target` (before the current one, and not before the first snapshot). */
  private seek(target: number): void {
    const from = this.snapshots[this.lastIndexAtOrBefore(target)]!;
    if (this.position < from.step || this.position > target) this.machine.restore(from);
    const left = target - this.position;
    if (left > 0) this.machine.debugRun({ steps: left, chunk: Infinity, breakpoints: NO_BREAKPOINTS });
    if (this.position !== target) throw new Error(`replay reached step ${this.position}, not ${target}: the run is not deterministic`);
  }

  /** Replays [start, end) and finds the last point in it where reverse execution stops. */
  private lastHitIn(start: MachineSnapshot, end: number, breakpoints: ReadonlySet<number>, watches: WatchSet): { at: number; stop: ReverseStop } | null {
    this.machine.restore(start);
    const looking = watches.fork();
    let hit: { at: number; stop: ReverseStop } | null = null;
    const breakpointHere = () => breakpoints.has(this.machine.pc());
    if (breakpointHere()) hit = { at: this.position, stop: { stop: 'breakpoint' } };
    while (this.position < end) {
      const outcome = this.machine.debugRun({
        steps: end - this.position, chunk: Infinity, breakpoints,
        ...(looking.size > 0 ? { watchHit: () => looking.changed() } : {}),
      });
      if (!('pause' in outcome) || outcome.pause === 'step') break;
      if (outcome.pause === 'watchpoint') {
        hit = { at: this.position - 1, stop: { stop: 'watchpoint', address: outcome.address, kind: outcome.kind } };
        // A breakpoint at the point after the write is later in the run: it is met first going back.
        if (breakpointHere() && this.position < end) hit = { at: this.position, stop: { stop: 'breakpoint' } };
      } else if (outcome.pause === 'breakpoint') {
        hit = { at: this.position, stop: { stop: 'breakpoint' } };
      }
    }
    return hit;
  }

  private keep(): void {
    this.snapshots.push(this.machine.snapshot(this.last()));
    if (this.snapshots.length > MAX_SNAPSHOTS) this.thin();
  }

  /** Drops every other snapshot but the first and the debugger's changes, and doubles the spacing of those to come. */
  private thin(): void {
    const kept = this.snapshots.filter((s, i) => i % 2 === 0 || this.edits.includes(s));
    this.snapshots.splice(0, this.snapshots.length, ...kept);
    this.interval *= 2;
  }

  private last(): MachineSnapshot {
    return this.snapshots.at(-1)!;
  }

  /** Index of the last snapshot taken at or before step `step` (0 when none is). */
  private lastIndexAtOrBefore(step: number): number {
    let lo = 0, hi = this.snapshots.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.snapshots[mid]!.step <= step) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
