// Descriptor tables read back as the CPU sees them: through the page tables,
// across page boundaries whose frames are not adjacent, and stopping where
// the mapping stops.
import { describe, expect, it } from 'vitest';
import { peekLinear32, readIdt, readTss } from '../../../engine/inspect/tables.ts';
import { enablePaging, makeCpu } from '../cpu/harness.ts';

/** An interrupt gate's two dwords (SDM 6.11): offset split around the selector, P, DPL and type 0xE. */
function gate(offset: number, selector: number, dpl: number): [number, number] {
  return [((selector << 16) | (offset & 0xffff)) | 0, ((offset & 0xffff0000) | 0x8e00 | (dpl << 13)) | 0];
}

describe('readIdt and peekLinear32', () => {
  it('read an IDT that straddles two pages mapped to frames far apart', () => {
    const cpu = makeCpu();
    // Linear page 0x40 -> frame 0x90, linear page 0x41 -> frame 0x20: the IDT starts 0x100 bytes before the boundary.
    enablePaging(cpu, (pte) => {
      pte[0x40] = (0x90 << 12) | 3;
      pte[0x41] = (0x20 << 12) | 3;
    });
    const idtLinear = 0x41000 - 0x100;
    const physOf = (linear: number) => (linear < 0x41000 ? 0x90000 + (linear - 0x40000) : 0x20000 + (linear - 0x41000));
    const expected: [number, number][] = [];
    for (let v = 0; v < 64; v++) {
      const g = gate(0x00101000 + v * 16, 0x08, v === 0x30 ? 3 : 0);
      expected.push(g);
      const at = idtLinear + v * 8;
      cpu.ram32[physOf(at) >>> 2] = g[0];
      cpu.ram32[physOf(at + 4) >>> 2] = g[1];
    }
    cpu.idtBase = idtLinear;
    cpu.idtLimit = 64 * 8 - 1;

    const gates = readIdt(cpu);
    expect(gates).toHaveLength(64);
    gates.forEach((g, v) => {
      expect(g.raw).toEqual([expected[v]![0] >>> 0, expected[v]![1] >>> 0]);
      expect(g.offset).toBe(0x00101000 + v * 16);
      expect(g.dpl).toBe(v === 0x30 ? 3 : 0);
      expect(g.kind).toBe('interrupt');
    });
  });

  it('read a dword whose bytes lie on two pages, and nothing where a page is absent', () => {
    const cpu = makeCpu();
    enablePaging(cpu, (pte) => {
      pte[0x50] = (0x70 << 12) | 3;
      pte[0x51] = (0x30 << 12) | 3;
      pte[0x52] = 0;
    });
    cpu.ram.set([0x11, 0x22], 0x70ffe);
    cpu.ram.set([0x33, 0x44], 0x30000);
    expect(peekLinear32(cpu, 0x50ffe)! >>> 0).toBe(0x44332211);
    expect(peekLinear32(cpu, 0x51ffe)).toBeNull();
  });
});

describe('readTss', () => {
  it('reads the current TSS with its previous task link, which a nested task returns to', () => {
    const cpu = makeCpu();
    cpu.trSel = 0x30; cpu.trBase = 0x5000; cpu.trLimit = 0x67;
    cpu.ram32[0x5000 >>> 2] = 0xffff0028 | 0; // the link's upper half is reserved
    cpu.ram32[0x5004 >>> 2] = 0x9000;
    cpu.ram32[0x5008 >>> 2] = 0x10;
    expect(readTss(cpu)).toMatchObject({ selector: 0x30, base: 0x5000, limit: 0x67, link: 0x28, esp0: 0x9000, ss0: 0x10 });
  });
});
