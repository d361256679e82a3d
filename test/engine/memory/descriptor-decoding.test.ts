// Descriptors and gates are decoded in one place, the same for the CPU and for inspection.
import { describe, expect, it } from 'vitest';
import { decodeDescriptor, decodeGate, descriptorDpl, GATE_INTERRUPT_32, GATE_TRAP_32 } from '../../../engine/memory/segmentation.ts';
import { decodeGateInfo, decodeSegmentDescriptor } from '../../../engine/inspect/tables.ts';

describe('segment descriptors', () => {
  it('decode a flat ring-3 code segment: base 0, 4 GiB limit (G bit), DPL 3', () => {
    const d = decodeDescriptor(0x0000ffff, 0x00cffa00, 0x1018);
    expect(d.base).toBe(0);
    expect(d.limit).toBe(0xffffffff);
    expect(d.access).toBe(0xfa);
    expect(descriptorDpl(d.access)).toBe(3);
    expect(d.address).toBe(0x1018);
    expect(decodeSegmentDescriptor(3, 0x0000ffff, 0x00cffa00)).toMatchObject({
      selector: 0x18, kind: 'code', dpl: 3, present: true, base: 0, limit: 0xffffffff, readableOrWritable: true, big: true,
    });
  });

  it('decode a byte-granular TSS with a base above 2 GiB the same for the CPU and for people', () => {
    // base 0xc0105000, limit 0x67, type 9 (available 32-bit TSS), present, DPL 0
    const low = (0x5000 << 16) | 0x67;
    const high = (0xc0 << 24) | (0x89 << 8) | 0x10;
    const d = decodeDescriptor(low, high, 0);
    expect(d.base >>> 0).toBe(0xc0105000);
    expect(d.limit).toBe(0x67);
    expect(decodeSegmentDescriptor(5, low, high)).toMatchObject({ kind: 'tss-available', base: 0xc0105000, limit: 0x67, dpl: 0 });
  });
});

describe('IDT gates', () => {
  it('decode a DPL-3 trap gate and a DPL-0 interrupt gate', () => {
    const trap = decodeGate((0x08 << 16) | 0x1234, (0xc010 << 16) | 0xef00);
    expect(trap).toEqual({ type: GATE_TRAP_32, dpl: 3, present: true, selector: 0x08, offset: 0xc0101234 | 0 });
    expect(decodeGateInfo(0x80, (0x08 << 16) | 0x1234, (0xc010 << 16) | 0xef00)).toMatchObject({ kind: 'trap', dpl: 3, offset: 0xc0101234 });
    const interrupt = decodeGate((0x08 << 16) | 0x0040, 0x00108e00);
    expect(interrupt).toMatchObject({ type: GATE_INTERRUPT_32, dpl: 0, present: true, offset: 0x00100040 });
    expect(decodeGateInfo(14, (0x08 << 16) | 0x0040, 0x00108e00).kind).toBe('interrupt');
  });

  it('name a task gate, and a type that is no gate as invalid', () => {
    expect(decodeGateInfo(8, 0x00280000, 0x00008500).kind).toBe('task');
    expect(decodeGateInfo(9, 0, 0x00008c00).kind).toBe('invalid');
  });
});
