// The I/O APIC against the 82093AA datasheet and QEMU's pc wiring: ISA IRQ 0
// on pin 2, edge and level entries, masks, remote IRR and EOI, and accesses
// of any width and offset that never throw.
import { describe, expect, it } from 'vitest';
import { IoApic } from '../../../engine/devices/io-apic.ts';

function rig() {
  const sent: { vector: number; destination: number; logical: boolean; level: boolean }[] = [];
  const ioApic = new IoApic((vector, destination, logical, _mode, level) => sent.push({ vector, destination, logical, level }));
  const write = (register: number, value: number) => {
    ioApic.write(0x00, 4, register);
    ioApic.write(0x10, 4, value);
  };
  const read = (register: number) => {
    ioApic.write(0x00, 4, register);
    return ioApic.read(0x10, 4) >>> 0;
  };
  return { ioApic, sent, write, read };
}

describe('the I/O APIC', () => {
  it('reports version 0x20 with 24 pins, every entry masked at reset', () => {
    const { read } = rig();
    expect(read(0x01)).toBe(0x00170020);
    for (let pin = 0; pin < 24; pin++) expect([read(0x10 + 2 * pin), read(0x11 + 2 * pin)]).toEqual([0x10000, 0]);
  });

  it('takes ISA IRQ 0 on pin 2 and IRQ n on pin n; an edge entry sends on each rising edge while unmasked', () => {
    const { ioApic, sent, write } = rig();
    write(0x10, 0x30); // pin 0
    write(0x14, 0x32); // pin 2
    write(0x15, 0x01000000);
    write(0x18, 0x34); // pin 4
    const pulse = (irq: number) => { ioApic.setIsaIrq(irq, true); ioApic.setIsaIrq(irq, false); };
    pulse(0);
    pulse(4);
    ioApic.setIsaIrq(4, true);
    ioApic.setIsaIrq(4, true); // still high: no new edge
    expect(sent.map((s) => [s.vector, s.destination])).toEqual([[0x32, 1], [0x34, 0], [0x34, 0]]);
    write(0x14, 0x10032); // masked: an edge is lost
    pulse(0);
    write(0x14, 0x32);
    expect(sent).toHaveLength(3);
  });

  it('a level entry sends once while the pin is high, and again after the EOI of its vector', () => {
    const { ioApic, sent, write, read } = rig();
    write(0x16, 0x8040); // pin 3, level-triggered
    ioApic.setIsaIrq(3, true);
    ioApic.setIsaIrq(3, true);
    expect(sent.map((s) => s.level)).toEqual([true]);
    expect(read(0x16) & (1 << 14)).not.toBe(0); // remote IRR
    ioApic.endOfInterrupt(0x40);
    expect(sent).toHaveLength(2);
    ioApic.setIsaIrq(3, false);
    ioApic.endOfInterrupt(0x40);
    expect(sent).toHaveLength(2);
    expect(read(0x16) & (1 << 14)).toBe(0);
  });

  it('never throws on any offset, width or register index, and leaves read-only bits alone', () => {
    const { ioApic, read, write } = rig();
    expect(() => {
      for (let offset = 0; offset < 0x1000; offset++) {
        for (const size of [1, 4]) {
          for (const select of [0, 1, 2, 0x10, 0x3f, 0x40, 0xff]) {
            ioApic.write(0, 1, select);
            ioApic.read(offset, size);
            ioApic.write(offset, size, 0xffffffff);
          }
        }
      }
    }).not.toThrow();
    write(0x01, 0); // the version is read-only
    expect(read(0x01)).toBe(0x00170020);
  });
});
