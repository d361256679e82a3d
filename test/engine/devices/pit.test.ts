// The 8254 against its datasheet: counts load on the CLK after they are
// written, mode 2 interrupts every N clocks, mode 3 once per period on OUT's
// rising edge, mode 0 once; latched and live reads; all in virtual ticks.
import { describe, expect, it } from 'vitest';
import { Pit, TICKS_PER_PIT_CLOCK } from '../../../engine/devices/pit.ts';
import { Pic } from '../../../engine/devices/pic.ts';

const T = TICKS_PER_PIT_CLOCK;

/** A PIT on a virtual clock the test moves by hand, counting IRQ 0 rising edges. */
function rig(start = 0) {
  const clock = { ticks: start };
  const edges: number[] = [];
  let level = false;
  const pit = new Pit(() => clock.ticks, (high) => {
    if (high && !level) edges.push(clock.ticks);
    level = high;
  });
  /** Move time to `ticks` the way the machine does: never past the next event unseen. */
  const runTo = (ticks: number) => {
    while (pit.nextEventTicks() <= ticks) {
      clock.ticks = pit.nextEventTicks();
      pit.advanceTo(clock.ticks);
    }
    clock.ticks = ticks;
    pit.advanceTo(ticks);
  };
  const program = (control: number, ...bytes: number[]) => {
    pit.write8(0x43, control);
    const port = 0x40 + (control >> 6);
    for (const b of bytes) pit.write8(port, b);
  };
  const read16 = (channel = 0) => pit.read8(0x40 + channel) | (pit.read8(0x40 + channel) << 8);
  return { pit, clock, edges, runTo, program, read16 };
}

describe('mode 2, rate generator', () => {
  it('count 11932 interrupts every 11932 PIT clocks, the first N clocks after the load', () => {
    const { pit, edges, runTo, program } = rig();
    program(0x34, 11932 & 0xff, 11932 >> 8); // channel 0, lo/hi, mode 2
    const first = (1 + 11932) * T; // loaded on the next CLK, reloads N clocks later
    expect(pit.nextEventTicks()).toBe(first);
    runTo(first + 4 * 11932 * T);
    expect(edges).toEqual([0, 1, 2, 3, 4].map((i) => first + i * 11932 * T));
    expect(pit.nextEventTicks()).toBe(first + 5 * 11932 * T);
  });

  it('nothing fires before the first edge', () => {
    const { edges, runTo, program } = rig();
    program(0x34, 100, 0);
    runTo(101 * T - 1);
    expect(edges).toEqual([]);
    runTo(101 * T);
    expect(edges).toEqual([101 * T]);
  });

  it('reads count down from N to 1 and reload', () => {
    const { clock, program, read16 } = rig();
    program(0x34, 100, 0);
    clock.ticks = 1 * T; // loaded
    expect(read16()).toBe(100);
    clock.ticks = 31 * T + 83; // 30 clocks later, not yet the 31st
    expect(read16()).toBe(70);
    clock.ticks = 100 * T;
    expect(read16()).toBe(1);
    clock.ticks = 101 * T;
    expect(read16()).toBe(100);
  });

  it('count 0 means 65536', () => {
    const { pit, program, clock, read16 } = rig();
    program(0x34, 0, 0);
    expect(pit.nextEventTicks()).toBe((1 + 65536) * T);
    clock.ticks = 2 * T;
    expect(read16()).toBe(65535);
  });

  it('a new count written while counting takes over at the end of the current cycle', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x34, 100, 0);
    runTo(50 * T);
    pit.write8(0x40, 10);
    pit.write8(0x40, 0);
    runTo(125 * T);
    expect(edges).toEqual([101 * T, 111 * T, 121 * T]);
  });

  it('an advance past several periods gives one pulse and schedules the next period ahead', () => {
    const { pit, program, clock, edges } = rig();
    program(0x34, 10, 0);
    clock.ticks = 1000 * T;
    pit.advanceTo(clock.ticks);
    expect(edges).toEqual([1000 * T]);
    expect(pit.nextEventTicks()).toBe(1001 * T); // edges fall on clocks 11, 21, ... 991, 1001
  });

  it('stays exact past 2^32 ticks', () => {
    const start = 2 ** 40 + 5;
    const { pit, program, runTo, edges, clock, read16 } = rig(start);
    program(0x34, 11932 & 0xff, 11932 >> 8);
    const loadClock = Math.floor(start / T) + 1;
    expect(pit.nextEventTicks()).toBe((loadClock + 11932) * T);
    runTo((loadClock + 3 * 11932) * T);
    expect(edges.length).toBe(3);
    clock.ticks = (loadClock + 3 * 11932 + 7) * T;
    expect(read16()).toBe(11932 - 7);
  });
});

describe('mode 3, square wave', () => {
  it('interrupts once per period, on the rising edge of OUT', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x36, 20, 0); // channel 0, lo/hi, mode 3
    expect(pit.nextEventTicks()).toBe(21 * T);
    runTo(61 * T);
    expect(edges).toEqual([21 * T, 41 * T, 61 * T]);
  });

  it('OUT is high for the first half and low for the second; even counts count down by two', () => {
    const { pit, program, clock, read16 } = rig();
    program(0x36, 20, 0);
    const status = () => {
      pit.write8(0x43, 0xe2); // read-back: status of counter 0
      return pit.read8(0x40);
    };
    clock.ticks = 1 * T;
    expect(status() & 0x80).toBe(0x80);
    expect(read16()).toBe(20);
    clock.ticks = 4 * T;
    expect(read16()).toBe(14);
    clock.ticks = 11 * T;
    expect(status() & 0x80).toBe(0);
    expect(read16()).toBe(20);
    clock.ticks = 21 * T;
    expect(status() & 0x80).toBe(0x80);
  });

  it('odd counts keep OUT high one clock longer than low', () => {
    const { pit, program, clock } = rig();
    program(0x36, 5, 0);
    const out = () => {
      pit.write8(0x43, 0xe2);
      return (pit.read8(0x40) & 0x80) !== 0;
    };
    const seen: boolean[] = [];
    for (let c = 1; c <= 6; c++) {
      clock.ticks = c * T;
      seen.push(out());
    }
    expect(seen).toEqual([true, true, true, false, false, true]);
  });

  it('a new count written in the high half takes over when OUT falls', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x36, 20, 0); // high on clocks 1-10, low 11-20
    runTo(5 * T);
    pit.write8(0x40, 10);
    pit.write8(0x40, 0);
    runTo(30 * T);
    // The low half starting at clock 11 is the new count's: 5 clocks.
    expect(edges).toEqual([16 * T, 26 * T]);
  });

  it('a new count written in the low half takes over when OUT rises', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x36, 20, 0);
    runTo(15 * T);
    pit.write8(0x40, 10);
    pit.write8(0x40, 0);
    runTo(41 * T);
    expect(edges).toEqual([21 * T, 31 * T, 41 * T]);
  });
});

describe('mode 4, software strobe', () => {
  it('OUT strobes low for one clock at terminal count; IRQ 0 comes as it rises again', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x38, 10, 0);
    runTo(100 * T);
    expect(edges).toEqual([12 * T]);
  });
});

describe('mode 0, interrupt on terminal count', () => {
  it('fires once, N + 1 clocks after the count is written, then never again', () => {
    const { pit, program, runTo, edges } = rig();
    program(0x30, 0xe8, 0x03); // 1000
    expect(pit.nextEventTicks()).toBe(1001 * T);
    runTo(5000 * T);
    expect(edges).toEqual([1001 * T]);
    expect(pit.nextEventTicks()).toBe(Infinity);
  });

  it('OUT is low until terminal count and the counter wraps on past it', () => {
    const { pit, program, clock, read16 } = rig();
    program(0x30, 10, 0);
    pit.write8(0x43, 0xe2);
    expect(pit.read8(0x40)).toBe(0x40 | 0x30 | 0x00); // OUT low, null count, lo/hi, mode 0
    clock.ticks = 11 * T;
    pit.write8(0x43, 0xe2);
    expect(pit.read8(0x40) & 0xc0).toBe(0x80);
    clock.ticks = 13 * T;
    expect(read16()).toBe(0xfffe);
  });

  it('writing the first byte of a new count stops counting; the second restarts it', () => {
    const { pit, program, runTo, edges, clock, read16 } = rig();
    program(0x30, 100, 0);
    runTo(50 * T);
    pit.write8(0x40, 20);
    runTo(200 * T);
    expect(edges).toEqual([]);
    expect(read16()).toBe(51);
    pit.write8(0x40, 0);
    expect(pit.nextEventTicks()).toBe((201 + 20) * T);
    runTo(300 * T);
    expect(edges).toEqual([221 * T]);
    expect(clock.ticks).toBe(300 * T);
  });

  it('a control word stops a pending one-shot', () => {
    const { pit, program } = rig();
    program(0x30, 100, 0);
    pit.write8(0x43, 0x30);
    expect(pit.nextEventTicks()).toBe(Infinity);
  });
});

describe('reading counts', () => {
  it('the latch command freezes the count until both bytes are read', () => {
    const { pit, program, clock } = rig();
    program(0x34, 0x00, 0x10); // 4096
    clock.ticks = 1 + 300 * T;
    pit.write8(0x43, 0x00); // latch counter 0
    clock.ticks = 2000 * T;
    expect(pit.read8(0x40)).toBe((4096 - 299) & 0xff);
    clock.ticks = 3000 * T;
    expect(pit.read8(0x40)).toBe((4096 - 299) >> 8);
    // Released: the next reads are live again.
    expect(pit.read8(0x40) | (pit.read8(0x40) << 8)).toBe(4096 - 2999);
  });

  it('a second latch before the first is read is ignored', () => {
    const { pit, program, clock } = rig();
    program(0x34, 0, 1); // 256
    clock.ticks = 11 * T;
    pit.write8(0x43, 0x00);
    clock.ticks = 51 * T;
    pit.write8(0x43, 0x00);
    expect(pit.read8(0x40) | (pit.read8(0x40) << 8)).toBe(246);
  });

  it('low-byte-only and high-byte-only access', () => {
    const { pit, program, clock } = rig();
    program(0x14, 50); // lo only, mode 2
    expect(pit.nextEventTicks()).toBe(51 * T);
    clock.ticks = 11 * T;
    expect(pit.read8(0x40)).toBe(40);
    program(0x24, 2); // hi only: count 512
    expect(pit.nextEventTicks()).toBe((12 + 512) * T);
    clock.ticks = (12 + 256) * T;
    expect(pit.read8(0x40)).toBe(1);
  });

  it('read-back can latch status and count together; status comes first', () => {
    const { pit, program, clock } = rig();
    program(0x34, 100, 0);
    clock.ticks = 21 * T;
    pit.write8(0x43, 0xc2); // read-back: count and status, counter 0
    expect(pit.read8(0x40)).toBe(0x80 | 0x34);
    expect(pit.read8(0x40) | (pit.read8(0x40) << 8)).toBe(80);
  });

  it('channel 2 counts but never raises IRQ 0', () => {
    const { pit, program, clock, read16 } = rig();
    program(0xb4, 100, 0);
    expect(pit.nextEventTicks()).toBe(Infinity);
    clock.ticks = 11 * T;
    expect(read16(2)).toBe(90);
  });
});

describe('IRQ 0 through the PIC', () => {
  it('each period becomes one interrupt at vector 0x20 once the previous one is EOIed', () => {
    const clock = { ticks: 0 };
    const pic = new Pic();
    for (const [port, v] of [[0x20, 0x11], [0x21, 0x20], [0x21, 0x04], [0x21, 0x01]] as const) pic.write8(port, v);
    const pit = new Pit(() => clock.ticks, (level) => pic.setIrq(0, level));
    pit.write8(0x43, 0x34);
    pit.write8(0x40, 0x9c);
    pit.write8(0x40, 0x2e); // 11932: 100 Hz
    const vectors: number[] = [];
    for (let i = 0; i < 3; i++) {
      clock.ticks = pit.nextEventTicks();
      pit.advanceTo(clock.ticks);
      expect(pic.hasInterrupt()).toBe(true);
      vectors.push(pic.acknowledge());
      pic.write8(0x20, 0x20);
    }
    expect(vectors).toEqual([0x20, 0x20, 0x20]);
    expect(clock.ticks).toBe((1 + 3 * 11932) * T);
  });
});
