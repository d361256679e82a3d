// Segment loads and memory accesses through segments, per SDM Vol. 3 chapter 3
// and 5.5-5.6 (the checks QEMU skips for flat segments).
import { describe, expect, it } from 'vitest';
import { run } from './harness.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';

const GDT = 0x6000;

/** A GDT: 1 flat ring-0 data, 2 data with limit 0xfff, 3 ring-3 data, 4 code (execute-only), 5 not-present data. */
function withGdt(cpu: CPU): void {
  const put = (index: number, low: number, high: number) => {
    const dv = new DataView(cpu.ram.buffer);
    dv.setUint32(GDT + index * 8, low >>> 0, true);
    dv.setUint32(GDT + index * 8 + 4, high >>> 0, true);
  };
  put(1, 0x0000ffff, 0x00cf9200); // base 0, limit 4 GiB, data RW, DPL 0
  put(2, 0x00000fff, 0x00409200); // base 0, limit 0xfff (byte granular), data RW
  put(3, 0x0000ffff, 0x00cff200); // DPL 3 data
  put(4, 0x0000ffff, 0x00cf9800); // code, execute-only
  put(5, 0x0000ffff, 0x00cf1200); // data, not present
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 6 * 8 - 1;
}

// mov ax, sel (66 b8 iw); mov ds, ax (8e d8); mov eax, [ebx] (8b 03)
const loadDsThenRead = (sel: number) => [0x66, 0xb8, sel & 0xff, sel >> 8, 0x8e, 0xd8, 0x8b, 0x03];

describe('loading a data segment register', () => {
  it('a null selector loads, and the first access through it is #GP(0)', () => {
    const cpu = run(loadDsThenRead(0), withGdt);
    expect(cpu.segSel[3]).toBe(0);
    expect(cpu.caught?.vector).toBe(13);
    expect(cpu.caught?.errorCode).toBe(0);
  });

  it('a selector beyond the GDT limit is #GP(selector)', () => {
    const cpu = run(loadDsThenRead(0x38), withGdt);
    expect(cpu.caught?.vector).toBe(13);
    expect(cpu.caught?.errorCode).toBe(0x38);
  });

  it('an execute-only code segment cannot be loaded into DS', () => {
    const cpu = run(loadDsThenRead(0x20), withGdt);
    expect(cpu.caught?.errorCode).toBe(0x20);
  });

  it('a not-present segment is #NP(selector)', () => {
    const cpu = run(loadDsThenRead(0x28), withGdt);
    expect(cpu.caught?.vector).toBe(11);
    expect(cpu.caught?.errorCode).toBe(0x28);
  });

  it('a DPL-0 segment cannot be loaded at CPL 3; a DPL-3 one can', () => {
    const denied = run(loadDsThenRead(0x0b), (c) => { withGdt(c); c.setCpl(3); });
    expect(denied.caught?.vector).toBe(13);
    expect(denied.caught?.errorCode).toBe(0x08);
    const allowed = run(loadDsThenRead(0x1b), (c) => { withGdt(c); c.setCpl(3); c.r32[3] = 0x7000; });
    // The load works; the read then faults only because paging is off and ring 3 may read anything: no fault.
    expect(allowed.caught).toBeUndefined();
    expect(allowed.segSel[3]).toBe(0x1b);
  });

  it('the accessed bit is written back to the descriptor', () => {
    const cpu = run(loadDsThenRead(0x08), withGdt);
    expect(cpu.ram[GDT + 8 + 5]! & 1).toBe(1);
  });
});

describe('the segment limit', () => {
  it('a dword read that ends past the limit is #GP(0); one inside is fine', () => {
    const inside = run(loadDsThenRead(0x10), (c) => { withGdt(c); c.r32[3] = 0xffc; });
    expect(inside.caught).toBeUndefined();
    const across = run(loadDsThenRead(0x10), (c) => { withGdt(c); c.r32[3] = 0xffd; });
    expect(across.caught?.vector).toBe(13);
    expect(across.caught?.errorCode).toBe(0);
  });

  it('a push through a limited SS past its limit is #SS(0) and leaves ESP alone', () => {
    // mov ax, 0x10; mov ss, ax; push eax  with ESP = 0x1004: the push writes 0x1000..0x1003, beyond limit 0xfff
    const cpu = run([0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0, 0x50], (c) => { withGdt(c); c.r32[4] = 0x1004; });
    expect(cpu.caught?.vector).toBe(12);
    expect(cpu.caught?.errorCode).toBe(0);
    expect(cpu.r32[4]).toBe(0x1004);
  });
});

describe('the return CS of far RET and IRET', () => {
  /** A GDT: 1 ring-0 code, 2 ring-0 data, 3 ring-0 code not present, 4 ring-3 code. */
  function withCodeGdt(cpu: CPU): void {
    const dv = new DataView(cpu.ram.buffer);
    const put = (index: number, high: number) => {
      dv.setUint32(GDT + index * 8, 0x0000ffff, true);
      dv.setUint32(GDT + index * 8 + 4, high >>> 0, true);
    };
    put(1, 0x00cf9a00);
    put(2, 0x00cf9200);
    put(3, 0x00cf1a00);
    put(4, 0x00cffa00);
    cpu.gdtBase = GDT;
    cpu.gdtLimit = 5 * 8 - 1;
  }

  /** Returns to `cs`:0x1000 at `cpl` through RETF (CB) or IRET (CF) and gives the fault it raised. */
  function returnTo(opcode: number, cs: number, cpl: number) {
    const cpu = run([opcode], (c) => {
      withCodeGdt(c);
      c.setCpl(cpl);
      const sp = 0x7000;
      c.r32[4] = sp;
      c.ram32.set([0x1000, cs, 0x2], sp >>> 2); // EIP, CS, and for IRET an EFLAGS image
    });
    return cpu.caught;
  }

  const cases: [string, number, number, number, number][] = [
    ['a null selector', 0x00, 0, 13, 0],
    ['a selector beyond the GDT limit', 0x28, 0, 13, 0x28],
    ['a data segment', 0x10, 0, 13, 0x10],
    ['an RPL more privileged than CPL', 0x08, 3, 13, 0x08],
    ['a non-conforming DPL other than the RPL', 0x0b, 0, 13, 0x08],
    ['a segment not present', 0x18, 0, 11, 0x18],
  ];
  for (const [what, cs, cpl, vector, errorCode] of cases) {
    it(`refuse ${what} with the same exception and the same reason`, () => {
      const retf = returnTo(0xcb, cs, cpl);
      const iret = returnTo(0xcf, cs, cpl);
      expect(retf).toMatchObject({ vector, errorCode });
      expect(iret).toMatchObject({ vector, errorCode });
      expect(retf?.detail.replace(/^far RET: /, '')).toBe(iret?.detail.replace(/^IRET: /, ''));
    });
  }
});
