// The 8259A pair as the Intel datasheet describes it: initialization words,
// masking, fully nested priority across the cascade, EOI, edge-triggered
// requests and the spurious IRQ 7 / IRQ 15 answers.
import { describe, expect, it } from 'vitest';
import { Pic } from '../../../engine/devices/pic.ts';

/** The remap every protected-mode kernel does: IRQ 0-7 at 0x20, IRQ 8-15 at 0x28. */
function remapped(icw4 = 0x01): Pic {
  const pic = new Pic();
  pic.write8(0x20, 0x11); // ICW1: edge, cascade, ICW4 follows
  pic.write8(0xa0, 0x11);
  pic.write8(0x21, 0x20); // ICW2: vector base
  pic.write8(0xa1, 0x28);
  pic.write8(0x21, 0x04); // ICW3: slave on IR2
  pic.write8(0xa1, 0x02); //       slave identity 2
  pic.write8(0x21, icw4); // ICW4: 8086 mode
  pic.write8(0xa1, icw4);
  return pic;
}

function pulse(pic: Pic, irq: number): void {
  pic.setIrq(irq, true);
  pic.setIrq(irq, false);
}

const EOI = 0x20;

describe('initialization', () => {
  it('delivers IRQ 0 at the ICW2 base and moves it from IRR to ISR', () => {
    const pic = remapped();
    pulse(pic, 0);
    expect(pic.state().master.irr).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(pic.state().master).toEqual({ irr: 0, isr: 0x01, imr: 0, base: 0x20 });
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('ICW1 clears the mask and whatever was pending or in service', () => {
    const pic = remapped();
    pic.write8(0x21, 0xff);
    pic.setIrq(1, true);
    pic.write8(0x20, 0x11);
    expect(pic.state().master).toMatchObject({ irr: 0, isr: 0, imr: 0 });
  });

  it('takes ICW2 then straight to operation when ICW1 says single and no ICW4', () => {
    const pic = new Pic();
    pic.write8(0x20, 0x12); // single, no ICW4
    pic.write8(0x21, 0x40);
    pic.write8(0x21, 0xfe); // this is OCW1 already
    expect(pic.state().master).toMatchObject({ base: 0x40, imr: 0xfe });
  });

  it('keeps only bits 7-3 of ICW2 as the base', () => {
    const pic = new Pic();
    pic.write8(0x20, 0x11);
    pic.write8(0x21, 0x35);
    expect(pic.state().master.base).toBe(0x30);
  });
});

describe('masking', () => {
  it('a masked request waits in IRR and is delivered when unmasked, with onChange called', () => {
    const pic = remapped();
    let changes = 0;
    pic.onChange = () => { changes++; };
    pic.write8(0x21, 0x01);
    expect(pic.read8(0x21)).toBe(0x01);
    pulse(pic, 0);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.state().master.irr).toBe(0x01);
    expect(changes).toBe(0);
    pic.write8(0x21, 0x00);
    expect(changes).toBe(1);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('masking IR2 on the master holds back every slave IRQ', () => {
    const pic = remapped();
    pic.write8(0x21, 0x04);
    pulse(pic, 12);
    expect(pic.hasInterrupt()).toBe(false);
    pic.write8(0x21, 0x00);
    expect(pic.acknowledge()).toBe(0x2c);
  });
});

describe('fully nested priority', () => {
  it('a lower-priority request waits for the EOI of the one in service', () => {
    const pic = remapped();
    let changes = 0;
    pic.onChange = () => { changes++; };
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    changes = 0;
    pulse(pic, 3);
    expect(pic.hasInterrupt()).toBe(false);
    expect(changes).toBe(0);
    pic.write8(0x20, EOI);
    expect(changes).toBe(1);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('a higher-priority request interrupts the one in service', () => {
    const pic = remapped();
    pulse(pic, 3);
    expect(pic.acknowledge()).toBe(0x23);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    expect(pic.state().master.isr).toBe(0x0a);
    // A non-specific EOI ends the highest-priority one in service: IRQ 1.
    pic.write8(0x20, EOI);
    expect(pic.state().master.isr).toBe(0x08);
  });

  it('IRQ 0 wins over IRQ 1 when both are pending', () => {
    const pic = remapped();
    pulse(pic, 1);
    pulse(pic, 0);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('slave IRQs rank at the master IR2 position: below IRQ 1, above IRQ 3', () => {
    const pic = remapped();
    pulse(pic, 3);
    pulse(pic, 8);
    pulse(pic, 1);
    expect(pic.acknowledge()).toBe(0x21);
    pic.write8(0x20, EOI);
    expect(pic.acknowledge()).toBe(0x28);
    pic.write8(0xa0, EOI);
    pic.write8(0x20, EOI);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('a slave IRQ puts IR2 in service on the master and its own bit on the slave', () => {
    const pic = remapped();
    pulse(pic, 12);
    expect(pic.acknowledge()).toBe(0x2c);
    const s = pic.state();
    expect(s.master.isr).toBe(0x04);
    expect(s.slave.isr).toBe(0x10);
    expect(s.slave.irr).toBe(0);
  });

  it('a second slave IRQ waits for the master EOI too', () => {
    const pic = remapped();
    pulse(pic, 12);
    pic.acknowledge();
    pulse(pic, 14);
    pic.write8(0xa0, EOI);
    // The slave now requests again, but the master still has IR2 in service.
    expect(pic.hasInterrupt()).toBe(false);
    pic.write8(0x20, EOI);
    expect(pic.acknowledge()).toBe(0x2e);
  });

  it('specific EOI (0x60 | level) clears that level only', () => {
    const pic = remapped();
    pulse(pic, 5);
    pic.acknowledge();
    pulse(pic, 4);
    pic.acknowledge();
    pic.write8(0x20, 0x65);
    expect(pic.state().master.isr).toBe(0x10);
  });

  it('auto-EOI (ICW4 bit 1) leaves nothing in service', () => {
    const pic = remapped(0x03);
    pulse(pic, 4);
    expect(pic.acknowledge()).toBe(0x24);
    expect(pic.state().master.isr).toBe(0);
    pulse(pic, 5);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('rotate on non-specific EOI makes the level just served the lowest priority', () => {
    const pic = remapped();
    pulse(pic, 0);
    pic.acknowledge();
    pulse(pic, 0);
    pulse(pic, 3);
    pic.write8(0x20, 0xa0);
    // IR0 is now lowest, so IR3 beats it.
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('special mask mode lets lower levels through while a masked level is in service', () => {
    const pic = remapped();
    pulse(pic, 1);
    pic.acknowledge();
    pulse(pic, 5);
    expect(pic.hasInterrupt()).toBe(false);
    pic.write8(0x21, 0x02);
    pic.write8(0x20, 0x68); // OCW3: set special mask mode
    expect(pic.acknowledge()).toBe(0x25);
  });
});

describe('edge-triggered requests', () => {
  it('a line held high requests once; it must fall and rise to request again', () => {
    const pic = remapped();
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x23);
    pic.write8(0x20, EOI);
    pic.setIrq(3, true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(3, false);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('the request stays latched after the line falls', () => {
    const pic = remapped();
    pulse(pic, 6);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('rejects inputs that do not exist, and IR2, which only the slave drives', () => {
    const pic = remapped();
    expect(() => pic.setIrq(16, true)).toThrow(RangeError);
    expect(() => pic.setIrq(2, true)).toThrow(/cascade/);
  });
});

describe('spurious interrupts', () => {
  it('an acknowledge with nothing deliverable answers IRQ 7 without setting ISR', () => {
    const pic = remapped();
    pulse(pic, 5);
    expect(pic.hasInterrupt()).toBe(true);
    pic.write8(0x21, 0x20); // masked between INTR and INTA
    expect(pic.acknowledge()).toBe(0x27);
    expect(pic.state().master.isr).toBe(0);
    expect(pic.state().master.irr).toBe(0x20);
  });

  it('a slave request gone by INTA gives IRQ 15 with IR2 in service on the master only', () => {
    const pic = remapped();
    pulse(pic, 11);
    expect(pic.state().master.irr).toBe(0x04);
    pic.write8(0xa1, 0x08); // the slave's request is masked; the master's IR2 stays latched
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2f);
    const s = pic.state();
    expect(s.master.isr).toBe(0x04);
    expect(s.slave.isr).toBe(0);
  });

  it('a real IRQ 7 is not spurious: its ISR bit is set', () => {
    const pic = remapped();
    pulse(pic, 7);
    expect(pic.acknowledge()).toBe(0x27);
    pic.write8(0x20, 0x0b); // OCW3: read ISR
    expect(pic.read8(0x20)).toBe(0x80);
  });
});

describe('OCW3 register reads and poll', () => {
  it('reads IRR by default and ISR after OCW3 0x0B; the choice sticks', () => {
    const pic = remapped();
    pulse(pic, 4);
    pulse(pic, 6);
    pic.acknowledge();
    expect(pic.read8(0x20)).toBe(0x40);
    pic.write8(0x20, 0x0b);
    expect(pic.read8(0x20)).toBe(0x10);
    expect(pic.read8(0x20)).toBe(0x10);
    pic.write8(0x20, 0x0a);
    expect(pic.read8(0x20)).toBe(0x40);
  });

  it('reads the slave registers at 0xA0/0xA1', () => {
    const pic = remapped();
    pic.write8(0xa1, 0xef);
    pic.setIrq(9, true);
    expect(pic.read8(0xa1)).toBe(0xef);
    expect(pic.read8(0xa0)).toBe(0x02);
  });

  it('poll answers the highest request and acknowledges it', () => {
    const pic = remapped();
    pulse(pic, 5);
    pic.write8(0x20, 0x0c); // OCW3: poll
    expect(pic.read8(0x20)).toBe(0x85);
    expect(pic.state().master.isr).toBe(0x20);
    pic.write8(0x20, 0x0c);
    expect(pic.read8(0x20)).toBe(0x00);
  });
});
