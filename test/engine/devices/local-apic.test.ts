// The local APIC against SDM Vol. 3A chapter 10, on a virtual clock the test
// moves by hand: the timer's expiries in every mode, priorities, and that no
// access a guest can make (any offset, any width, any value) throws.
import { describe, expect, it } from 'vitest';
import { LocalApic } from '../../../engine/devices/local-apic.ts';

const TPR = 0x80, PPR = 0xa0, EOI = 0xb0, SVR = 0xf0, ESR = 0x280, ICR_LOW = 0x300;
const LVT_TIMER = 0x320, INITIAL = 0x380, CURRENT = 0x390, DIVIDE = 0x3e0;

/** A local APIC on a hand-moved clock and TSC, that counts the EOIs it passes on for level-triggered vectors. */
function rig() {
  const clock = { ticks: 0, tsc: 0n };
  const levelEois: number[] = [];
  const apic = new LocalApic({ now: () => clock.ticks, tsc: () => clock.tsc, changed: () => {}, eoiLevel: (v) => levelEois.push(v) });
  apic.write(SVR, 4, 0x1ff);
  const reg = (offset: number) => apic.read(offset, 4) >>> 0;
  /** Move time to `ticks` as the machine does: to each event in turn, taking each vector at once. */
  const runTo = (ticks: number, taken: number[] = []) => {
    for (;;) {
      const next = apic.nextEventTicks();
      if (next > ticks) break;
      clock.tsc += BigInt(next - clock.ticks);
      clock.ticks = next;
      apic.advanceTo(next);
      for (let v = apic.acknowledge(); v >= 0; v = apic.acknowledge()) {
        taken.push(v);
        apic.write(EOI, 4, 0);
      }
    }
    clock.tsc += BigInt(ticks - clock.ticks);
    clock.ticks = ticks;
    apic.advanceTo(ticks);
    return taken;
  };
  return { apic, clock, reg, runTo, levelEois };
}

describe('the local APIC timer', () => {
  it('periodic: one interrupt per initial count x divisor ticks, exactly, and the count reloads', () => {
    const { apic, reg, runTo } = rig();
    apic.write(DIVIDE, 4, 0x3); // divide by 16
    apic.write(LVT_TIMER, 4, (1 << 17) | 0x40);
    apic.write(INITIAL, 4, 1000);
    expect(runTo(16_000 * 7 + 5)).toEqual(Array(7).fill(0x40));
    expect(reg(CURRENT)).toBe(1000); // 5 ticks into the eighth period: not a whole count yet
    apic.write(LVT_TIMER, 4, (1 << 16) | (1 << 17) | 0x40); // masked: it counts on, and delivers nothing
    expect(runTo(16_000 * 20)).toEqual([]);
    expect(apic.nextEventTicks()).toBe(Infinity);
  });

  it('a timer that can deliver nothing (an illegal vector below 16) is no event to wait for: it sets ESR bit 6', () => {
    const { apic, reg, runTo } = rig();
    apic.write(LVT_TIMER, 4, (1 << 17) | 0x05);
    apic.write(INITIAL, 4, 100);
    expect(apic.nextEventTicks()).toBe(Infinity);
    runTo(10_000);
    apic.write(ESR, 4, 0);
    expect(reg(ESR)).toBe(0x40);
  });

  it('one-shot: one interrupt when the count reaches 0, which it then keeps; writing 0 stops it', () => {
    const { apic, reg, runTo } = rig();
    apic.write(DIVIDE, 4, 0xb); // divide by 1
    apic.write(LVT_TIMER, 4, 0x41);
    apic.write(INITIAL, 4, 500);
    runTo(200);
    expect(reg(CURRENT)).toBe(300);
    expect(runTo(10_000)).toEqual([0x41]);
    expect(reg(CURRENT)).toBe(0);
    apic.write(INITIAL, 4, 500);
    apic.write(INITIAL, 4, 0);
    expect(runTo(20_000)).toEqual([]);
  });

  it('TSC-deadline: fires once the TSC reaches the deadline, never before, then reads 0; the initial count is ignored', () => {
    const { apic, clock, runTo } = rig();
    apic.write(LVT_TIMER, 4, (2 << 17) | 0x42);
    apic.write(INITIAL, 4, 5);
    expect(apic.state().initialCount).toBe(0);
    apic.writeDeadline(10_000n);
    expect(apic.readDeadline()).toBe(10_000n);
    // The TSC runs three cycles per tick here, as a run of memory instructions would make it.
    const taken: number[] = [];
    let firedAt = -1n;
    for (let t = 0; t < 10_000 && firedAt < 0n; t += 1) {
      clock.tsc += 2n; // two cycles beyond the one runTo adds per tick
      runTo(t + 1, taken);
      if (taken.length > 0) firedAt = clock.tsc;
    }
    expect(taken).toEqual([0x42]);
    expect(firedAt >= 10_000n).toBe(true);
    expect(apic.readDeadline()).toBe(0n);
    // A TSC moved past an armed deadline fires it at the next look, which is now.
    apic.writeDeadline(clock.tsc + 1_000_000n);
    runTo(clock.ticks + 10, taken);
    clock.tsc += 2_000_000n;
    apic.tscMoved();
    expect(apic.nextEventTicks()).toBe(clock.ticks);
    expect(runTo(clock.ticks, taken)).toEqual([0x42, 0x42]);
    // A deadline virtual time cannot count to (2^64 - 1) is never an event: a HLT behind it ends, it does not spin.
    apic.writeDeadline(0xffff_ffff_ffff_ffffn);
    runTo(clock.ticks + 1, taken);
    expect(apic.nextEventTicks()).toBe(Infinity);
    expect(apic.readDeadline()).toBe(0xffff_ffff_ffff_ffffn);
    // Out of TSC-deadline mode the MSR reads 0 and ignores writes.
    apic.write(LVT_TIMER, 4, 0x42);
    apic.writeDeadline(5n);
    expect(apic.readDeadline()).toBe(0n);
  });
});

describe('local APIC priorities', () => {
  it('the TPR holds back vectors of its class and below; PPR follows the class in service; EOI ends the highest', () => {
    const { apic, reg } = rig();
    apic.write(TPR, 4, 0x50);
    apic.write(ICR_LOW, 4, (1 << 18) | 0x55);
    expect(apic.hasInterrupt()).toBe(false);
    apic.write(ICR_LOW, 4, (1 << 18) | 0x61);
    expect(apic.acknowledge()).toBe(0x61);
    expect(reg(PPR)).toBe(0x60);
    apic.write(TPR, 4, 0);
    expect(apic.hasInterrupt()).toBe(false); // 0x55 is below the class in service
    apic.write(EOI, 4, 0);
    expect(apic.acknowledge()).toBe(0x55);
  });

  it('an IPI by destination reaches this APIC by its ID, or by logical destination in the flat and cluster models', () => {
    const { apic } = rig();
    const sendTo = (destination: number, logical: boolean) => {
      apic.write(0x310, 4, destination << 24);
      apic.write(ICR_LOW, 4, (logical ? 1 << 11 : 0) | 0x50);
      const got = apic.acknowledge() === 0x50;
      if (got) apic.write(EOI, 4, 0);
      return got;
    };
    expect([sendTo(0, false), sendTo(1, false), sendTo(0xff, false)]).toEqual([true, false, true]);
    apic.write(0xd0, 4, 0x02000000); // LDR: logical ID 2
    expect([sendTo(0x02, true), sendTo(0x05, true), sendTo(0x01, true)]).toEqual([true, false, false]);
    apic.write(0xe0, 4, 0x0fffffff); // DFR: cluster model; LDR 0x12 is cluster 1, member bit 1
    apic.write(0xd0, 4, 0x12000000);
    expect([sendTo(0x13, true), sendTo(0x23, true), sendTo(0x11, true)]).toEqual([true, false, false]);
  });

  it('a vector below 16 is refused with ESR bit 5, seen after the next ESR write', () => {
    const { apic, reg } = rig();
    apic.write(ICR_LOW, 4, (1 << 18) | 0x0e);
    expect(apic.hasInterrupt()).toBe(false);
    expect(reg(ESR)).toBe(0);
    apic.write(ESR, 4, 0);
    expect(reg(ESR)).toBe(0x20);
  });

  it('a level-triggered vector tells the I/O APIC of its EOI; an edge-triggered one does not', () => {
    const { apic, levelEois } = rig();
    apic.receive(0x70, 0, false, 0, true);
    apic.receive(0x71, 0, false, 0, false);
    for (let i = 0; i < 2; i++) {
      apic.acknowledge();
      apic.write(EOI, 4, 0);
    }
    expect(levelEois).toEqual([0x70]);
  });

  it('software-disabled (SVR bit 8 clear): nothing is delivered, and every LVT entry is masked', () => {
    const { apic } = rig();
    apic.write(0x350, 4, 0x700);
    apic.write(SVR, 4, 0xff);
    apic.write(ICR_LOW, 4, (1 << 18) | 0x40);
    expect(apic.hasInterrupt()).toBe(false);
    expect(apic.state().lvt.every((e) => (e & (1 << 16)) !== 0)).toBe(true);
    expect(apic.acceptsPic()).toBe(false);
  });
});

describe('IA32_APIC_BASE', () => {
  it('refuses reserved bits; moves the registers; disabled, it leaves the address space and the 8259 drives the CPU', () => {
    const { apic } = rig();
    expect(apic.readBase()).toBe(0xfee00900);
    expect(apic.writeBase(0xfee00900n | 1n)).toBe(false);
    expect(apic.writeBase(0x1_fee00900n)).toBe(false);
    expect(apic.writeBase(0xfed00800n)).toBe(true);
    expect(apic.page()).toBe(0xfed00);
    expect(apic.writeBase(0xfed00000n)).toBe(true);
    expect([apic.present, apic.page(), apic.acceptsPic()]).toEqual([false, -1, true]);
    // As on P6-family CPUs and QEMU, it stays disabled until reset.
    apic.writeBase(0xfee00800n);
    expect(apic.present).toBe(false);
  });
});

describe('any access a guest makes', () => {
  it('never throws: every offset of the page, bytes and dwords, reads and writes of any value', () => {
    const { apic, reg } = rig();
    expect(() => {
      for (let offset = 0; offset < 0x1000; offset++) {
        for (const size of [1, 4]) {
          apic.read(offset, size);
          apic.write(offset, size, 0xffffffff);
          apic.write(offset, size, offset * 0x01010101);
        }
      }
    }).not.toThrow();
    // Narrow accesses read 0 and write nothing, as QEMU's APIC.
    expect(apic.read(0x30, 1)).toBe(0);
    apic.write(TPR, 1, 0x30);
    expect(reg(TPR)).not.toBe(0x30);
  });

  it('an unknown register reads 0 and sets ESR bit 7, illegal register address', () => {
    const { apic, reg } = rig();
    expect(reg(0x3f0)).toBe(0);
    apic.write(ESR, 4, 0);
    expect(reg(ESR)).toBe(0x80);
    apic.write(ESR, 4, 0);
    expect(reg(ESR)).toBe(0);
  });
});
