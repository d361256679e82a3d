// The 8254 programmable interval timer at 0x40-0x43, from the Intel 8254
// datasheet. Its input clock runs at 1.193182 MHz; the machine's virtual time
// counts ticks, TICKS_PER_PIT_CLOCK of them per PIT clock, and PIT clock k
// falls on tick k * TICKS_PER_PIT_CLOCK. Nothing is simulated clock by clock:
// a counter remembers when its count was loaded, and its value, its OUT level
// and its next interrupt are computed from the time asked about.
//
// Channel 0's OUT drives IRQ 0; each rising edge of OUT is passed on as a
// pulse (raiseIrq0(true) then raiseIrq0(false)), which an edge-triggered 8259A
// latches just as it would a level held high. Modes 0 (interrupt on terminal
// count), 2 (rate generator), 3 (square wave) and 4 (software strobe) count;
// modes 1 and 5 wait for a GATE trigger, and every GATE of this PC is tied
// high, so they never start. Channels 1 and 2 count the same way but drive
// nothing (port 0x61, the speaker gate, is not modelled). BCD counting is not
// modelled: the BCD bit is kept for the status byte, and counts are binary.

import type { PortDevice } from './ports.ts';

/** Ticks of virtual time per PIT input clock: 1.193182 MHz x 84 is a nominal 100.2 MHz CPU. */
export const TICKS_PER_PIT_CLOCK = 84;
export const PIT_BASE = 0x40;
const CONTROL_PORT = 0x43;

/** The RW field of a control word: which bytes of the count a port access reads or writes (or latch it). */
const enum PitAccessMode {
  Latch = 0,
  Low = 1,
  High = 2,
  LowHigh = 3,
}

/** One stretch of counting: `count` loaded into the counting element at PIT clock `loadClock`. */
interface Run {
  count: number;
  loadClock: number;
}

/** What a channel shows the machine's inspector. */
export interface PitChannelState {
  mode: number;
  /** The count last written, 1-65536; 0 before any. */
  count: number;
  /** The counter as a read would see it now. */
  value: number;
  out: boolean;
}

/** floor(a / b) for integers below 2^53, where a / b in doubles can round up across an integer. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

function positiveMod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/** One of the three counters. Times are PIT clock numbers. */
class Counter {
  /** The mode as a number 0-5 (modes 6 and 7 are 2 and 3). */
  mode = 0;
  /** The mode bits as written, for the status byte. */
  private modeBits = 0;
  private access = PitAccessMode.LowHigh;
  private bcd = false;
  private writeHighNext = false;
  private lowByteWritten = 0;
  private readHighNext = false;
  /** A latched count waiting to be read, and which of its bytes come next. */
  private latched: number | null = null;
  private latchedHighNext = false;
  private latchedStatus: number | null = null;
  /** The count last written (1-65536), 0 before any. */
  written = 0;
  /** Counting, or null when stopped: after a control word, or in a mode that waits for GATE. */
  private run: Run | null = null;
  /** Modes 2 and 3: a count written while counting takes over at `at`, the end of the current cycle or half-cycle. */
  private next: (Run & { at: number }) | null = null;
  /** What a read shows while the counter is stopped, or before a written count is loaded. */
  private held = 0;
  /** OUT while stopped. */
  private idleOut = true;
  /** Null count (status bit 6): a count has been written but not yet loaded. */
  private nullCountUntil = 0;

  /** Control word for this counter: resets its control logic and stops counting. */
  program(modeBits: number, access: PitAccessMode, bcd: boolean, now: number): void {
    this.held = this.value(now);
    this.modeBits = modeBits;
    this.mode = modeBits & 2 ? modeBits & 3 : modeBits;
    this.access = access;
    this.bcd = bcd;
    this.writeHighNext = false;
    this.readHighNext = false;
    this.latched = null;
    this.latchedStatus = null;
    this.run = null;
    this.next = null;
    // Datasheet: after a control word OUT is low in mode 0 and high in every other mode.
    this.idleOut = this.mode !== 0;
    this.nullCountUntil = Infinity;
  }

  writeByte(value: number, now: number): void {
    switch (this.access) {
      case PitAccessMode.Low: this.load(value, now); return;
      case PitAccessMode.High: this.load(value << 8, now); return;
      default:
        if (!this.writeHighNext) {
          this.lowByteWritten = value;
          this.writeHighNext = true;
          // Mode 0: writing the first byte of a two-byte count stops counting and sets OUT low.
          if (this.mode === 0) this.stop(now, false);
          return;
        }
        this.writeHighNext = false;
        this.load(this.lowByteWritten | (value << 8), now);
    }
  }

  /** A count written in full. The counting element takes it on the next clock (datasheet: "loaded on the next CLK pulse"). */
  private load(raw: number, now: number): void {
    const count = raw === 0 ? 0x10000 : raw;
    this.written = count;
    this.settle(now);
    const run = this.run;
    if (this.mode === 1 || this.mode === 5) {
      this.nullCountUntil = Infinity; // loaded only by a GATE trigger
      return;
    }
    if ((this.mode === 2 || this.mode === 3) && run && now >= run.loadClock) {
      // A new count does not disturb the cycle under way (datasheet, modes 2 and 3).
      this.next = this.mode === 2 ? this.nextCycle(run, count, now) : this.nextHalfCycle(run, count, now);
      this.nullCountUntil = this.next.at;
      return;
    }
    this.held = this.value(now);
    this.run = { count, loadClock: now + 1 };
    this.next = null;
    this.nullCountUntil = now + 1;
  }

  /** Mode 2: the new count is loaded when the current one reaches 1 and reloads. */
  private nextCycle(run: Run, count: number, now: number): Run & { at: number } {
    const at = run.loadClock + (floorDiv(now - run.loadClock, run.count) + 1) * run.count;
    return { count, loadClock: at, at };
  }

  /**
   * Mode 3: the new count starts at the next OUT transition. When that is the
   * falling one, the new run is placed so that its low half starts there.
   */
  private nextHalfCycle(run: Run, count: number, now: number): Run & { at: number } {
    const p = (now - run.loadClock) % run.count;
    const high = highHalf(run.count);
    if (p < high) {
      const at = now - p + high;
      return { count, loadClock: at - highHalf(count), at };
    }
    const at = now - p + run.count;
    return { count, loadClock: at, at };
  }

  private stop(now: number, out: boolean): void {
    this.held = this.value(now);
    this.run = null;
    this.next = null;
    this.idleOut = out;
  }

  /** A deferred count whose time has come becomes the current run. */
  private settle(now: number): void {
    if (this.next && now >= this.next.at) {
      this.run = { count: this.next.count, loadClock: this.next.loadClock };
      this.next = null;
    }
  }

  /** The counting element at clock `now`, as 16 bits (a count of 65536 reads 0). */
  value(now: number): number {
    this.settle(now);
    const run = this.run;
    if (!run || now < run.loadClock) return this.held & 0xffff;
    const elapsed = now - run.loadClock;
    const n = run.count;
    switch (this.mode) {
      case 2: return (n - (elapsed % n)) & 0xffff;
      case 3: {
        // Even counts: n, n-2, ... in each half. Odd counts: n-1, n-3, ... with
        // the high half one clock longer, so OUT is high (n+1)/2 clocks and low (n-1)/2.
        const p = elapsed % n;
        const high = highHalf(n);
        const step = p < high ? p : p - high;
        return ((n & 1 ? n - 1 : n) - 2 * step) & 0xffff;
      }
      default: return positiveMod(n - elapsed, 0x10000); // modes 0 and 4 wrap after terminal count
    }
  }

  out(now: number): boolean {
    this.settle(now);
    const run = this.run;
    if (!run) return this.idleOut;
    if (now < run.loadClock) return this.mode !== 0;
    const elapsed = now - run.loadClock;
    const n = run.count;
    switch (this.mode) {
      case 0: return elapsed >= n;
      case 2: return n === 1 || elapsed % n !== n - 1;
      case 3: return elapsed % n < highHalf(n);
      default: return elapsed !== n; // mode 4: low for one clock at terminal count
    }
  }

  /** The first clock after `after` at which OUT rises, or Infinity. */
  nextRise(after: number): number {
    const run = this.run;
    if (!run) return Infinity;
    const rise = this.riseOf(run, after);
    if (!this.next || rise <= this.next.at) return rise;
    return this.riseOf(this.next, after);
  }

  private riseOf(run: Run, after: number): number {
    switch (this.mode) {
      case 0: {
        const rise = run.loadClock + run.count;
        return rise > after ? rise : Infinity;
      }
      case 4: {
        const rise = run.loadClock + run.count + 1;
        return rise > after ? rise : Infinity;
      }
      case 2:
      case 3: {
        // OUT rises each time the count reloads, every `count` clocks after the load.
        const cycles = Math.max(1, floorDiv(after - run.loadClock, run.count) + 1);
        return run.loadClock + cycles * run.count;
      }
      default: return Infinity;
    }
  }

  latchCount(now: number): void {
    // Datasheet: a second latch before the first is read is ignored.
    if (this.latched !== null) return;
    this.latched = this.value(now);
    this.latchedHighNext = false;
  }

  latchStatus(now: number): void {
    if (this.latchedStatus !== null) return;
    this.latchedStatus = (this.out(now) ? 0x80 : 0) | (now < this.nullCountUntil ? 0x40 : 0)
      | (this.access << 4) | (this.modeBits << 1) | (this.bcd ? 1 : 0);
  }

  readByte(now: number): number {
    if (this.latchedStatus !== null) {
      const status = this.latchedStatus;
      this.latchedStatus = null;
      return status;
    }
    if (this.latched !== null) {
      const count = this.latched;
      if (this.access === PitAccessMode.LowHigh && !this.latchedHighNext) {
        this.latchedHighNext = true;
        return count & 0xff;
      }
      this.latched = null;
      return this.access === PitAccessMode.Low ? count & 0xff : count >>> 8;
    }
    const count = this.value(now);
    switch (this.access) {
      case PitAccessMode.Low: return count & 0xff;
      case PitAccessMode.High: return count >>> 8;
      default:
        this.readHighNext = !this.readHighNext;
        return this.readHighNext ? count & 0xff : count >>> 8;
    }
  }
}

/** Clocks OUT stays high in each mode 3 period. */
function highHalf(count: number): number {
  return (count + 1) >>> 1;
}

export class Pit implements PortDevice {
  /** Channels 0-2, at ports 0x40-0x42; a port or select field that names one is below 3 (the assertions below). */
  private readonly counters: readonly [Counter, Counter, Counter] = [new Counter(), new Counter(), new Counter()];
  /** PIT clock of channel 0's next rising OUT edge not yet passed to IRQ 0. */
  private nextEdge = Infinity;

  /**
   * @param now the machine's current tick; reads compute the counter from it.
   * @param raiseIrq0 drives IRQ 0: each rising edge of channel 0's OUT comes as true then false.
   */
  constructor(
    private readonly now: () => number,
    private readonly raiseIrq0: (level: boolean) => void,
  ) {}

  /**
   * Passes every IRQ 0 edge due at or before `ticks`. Several edges due in one
   * call give one pulse, as the PIC would latch them into one request anyway;
   * to see every period, advance no further than nextEventTicks() at a time.
   */
  advanceTo(ticks: number): void {
    const clock = floorDiv(ticks, TICKS_PER_PIT_CLOCK);
    if (this.nextEdge > clock) return;
    this.nextEdge = this.counters[0].nextRise(clock);
    this.raiseIrq0(true);
    this.raiseIrq0(false);
  }

  /** Tick of the next IRQ 0 edge, or Infinity when channel 0 will not interrupt again as programmed. */
  nextEventTicks(): number {
    return this.nextEdge === Infinity ? Infinity : this.nextEdge * TICKS_PER_PIT_CLOCK;
  }

  read8(port: number): number {
    if (port === CONTROL_PORT) return 0xff; // the control word register cannot be read
    return this.counters[port - PIT_BASE]!.readByte(this.clock());
  }

  write8(port: number, value: number): void {
    // Edges due before this write happened before it: pass them on first.
    this.advanceTo(this.now());
    const now = this.clock();
    if (port === CONTROL_PORT) this.writeControl(value, now);
    else this.counters[port - PIT_BASE]!.writeByte(value, now);
    this.nextEdge = this.counters[0].nextRise(now);
  }

  state(): PitChannelState[] {
    const now = this.clock();
    return this.counters.map((c) => ({ mode: c.mode, count: c.written, value: c.value(now), out: c.out(now) }));
  }

  private clock(): number {
    return floorDiv(this.now(), TICKS_PER_PIT_CLOCK);
  }

  private writeControl(value: number, now: number): void {
    const select = value >> 6;
    if (select === 3) {
      this.readBack(value, now);
      return;
    }
    const counter = this.counters[select]!;
    const access = ((value >> 4) & 3) as PitAccessMode;
    if (access === PitAccessMode.Latch) counter.latchCount(now);
    else counter.program((value >> 1) & 7, access, (value & 1) !== 0, now);
  }

  /** 8254 read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 3-1 pick counters 2-0. */
  private readBack(value: number, now: number): void {
    for (let i = 0; i < 3; i++) {
      if (!(value & (2 << i))) continue;
      if (!(value & 0x10)) this.counters[i]!.latchStatus(now);
      if (!(value & 0x20)) this.counters[i]!.latchCount(now);
    }
  }
}
