// What a debugger asks of a run and gets back (Machine.debugRun), and the
// snapshots it goes back to when it runs backwards (Machine.snapshot).

import type { RunResult } from '../config.ts';
import type { MachineState } from '../snapshot/machine-state.ts';

/** What a debugger lets a run do before it pauses (Machine.debugRun). */
export interface DebugControl {
  /** Steps to take at most: 1 for a stepi, Infinity to continue. */
  steps: number;
  /** Steps after which the run pauses anyway, for the host to look for an interrupt. */
  chunk: number;
  /** Linear addresses of instructions to pause before. */
  breakpoints: ReadonlySet<number>;
  /** After each step: the watched location the step wrote (or read), or undefined. */
  watchHit?: () => WatchHit | undefined;
}

/**
 * The whole machine at one step of a debugged run (Machine.snapshot), for a
 * debugger that runs backwards by going back to one and forwards again.
 */
export interface MachineSnapshot {
  /** Debugger steps taken when it was made (Machine.debugSteps). */
  readonly step: number;
  readonly state: MachineState;
  readonly finished: RunResult | null;
  readonly outputLimitReached: boolean;
}

/** Where a debugged run paused; `running`: it took its chunk of steps and may go on. */
export type DebugPause =
  | { pause: 'step' | 'breakpoint' | 'running' }
  | ({ pause: 'watchpoint' } & WatchHit);

/**
 * A watchpoint's hit: `write`, a watched location changed (gdb's watch);
 * `read` and `access`, an instruction read it, or read or wrote it (rwatch, awatch).
 */
export interface WatchHit {
  address: number;
  kind: 'write' | 'read' | 'access';
}
