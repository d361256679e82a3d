// The page-walk queries a check asks of an address space (translate, the
// present mappings as runs, the directory entries), on page tables built by
// hand: each answer must be the one the CPU itself gets when it translates.
import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { Access, translateSlow } from '../../../engine/memory/paging.ts';
import { directoryEntries, mappings, PAGE_4K, PAGE_4M, translate, type MappingRun } from '../../../engine/inspect/page-walk.ts';
import { makeCpu } from '../cpu/harness.ts';

const DIR_A = 0x10000;
const TABLE_0 = 0x11000;
const TABLE_1 = 0x12000;
const DIR_B = 0x20000;
const TABLE_B = 0x21000;
const P = 1, RW = 2, US = 4, PS = 0x80;
const CR4_PSE = 0x10;

function entry(table: number, index: number, value: number): (cpu: CPU) => void {
  return (cpu) => { cpu.ram32[(table >>> 2) + index] = value; };
}

/**
 * Directory A: a user table at 0 (pages 0-4 physically contiguous, 0-2 user
 * and writable, 3 supervisor, 4 read-only; 5 read-only but far away, 6
 * absent, 7 supervisor, 9 and 10 contiguous but only 9 writable), a
 * supervisor table at 4 MiB whose PTE says user, and 4 MiB pages in the kernel
 * half (two supervisor, adjacent, then a user one). Directory B: one user page.
 */
function twoAddressSpaces(): CPU {
  const cpu = makeCpu();
  cpu.cr4 |= CR4_PSE;
  const edits = [
    entry(DIR_A, 0, TABLE_0 | P | RW | US),
    ...[0, 1, 2].map((i) => entry(TABLE_0, i, ((0x40 + i) << 12) | P | RW | US)),
    entry(TABLE_0, 3, 0x43000 | P | RW),
    entry(TABLE_0, 4, 0x44000 | P | US),
    entry(TABLE_0, 5, 0x50000 | P | US),
    entry(TABLE_0, 7, 0x51000 | P | RW),
    entry(TABLE_0, 9, 0x80000 | P | RW | US),
    entry(TABLE_0, 10, 0x81000 | P | US),
    entry(DIR_A, 1, TABLE_1 | P | RW),
    entry(TABLE_1, 0, 0x60000 | P | RW | US),
    entry(DIR_A, 768, 0x000000 | PS | P | RW),
    entry(DIR_A, 769, 0x400000 | PS | P | RW),
    entry(DIR_A, 770, 0xc00000 | PS | P | RW | US),
    entry(DIR_B, 0x200, TABLE_B | P | RW | US),
    entry(TABLE_B, 3, 0x70000 | P | RW | US),
  ];
  for (const edit of edits) edit(cpu);
  cpu.cr3 = DIR_A;
  cpu.cr0 |= 0x80000000;
  cpu.flushTlb(false);
  return cpu;
}

const run = (linear: number, size: number, physical: number, user: boolean, writable: boolean, pageSize: number): MappingRun =>
  ({ linear, size, physical, user, writable, pageSize } as MappingRun);

/** Directory A's mappings: where a run breaks, the frames or the rights of its neighbours differ in one thing. */
const DIR_A_RUNS = [
  run(0x0000, 3 * PAGE_4K, 0x40000, true, true, PAGE_4K),
  run(0x3000, PAGE_4K, 0x43000, false, true, PAGE_4K),
  run(0x4000, PAGE_4K, 0x44000, true, false, PAGE_4K),
  run(0x5000, PAGE_4K, 0x50000, true, false, PAGE_4K),
  run(0x7000, PAGE_4K, 0x51000, false, true, PAGE_4K),
  run(0x9000, PAGE_4K, 0x80000, true, true, PAGE_4K),
  run(0xa000, PAGE_4K, 0x81000, true, false, PAGE_4K),
  run(0x400000, PAGE_4K, 0x60000, false, true, PAGE_4K),
  run(0xc0000000, 2 * PAGE_4M, 0, false, true, PAGE_4M),
  run(0xc0800000, PAGE_4M, 0xc00000, true, true, PAGE_4M),
];

describe('translate', () => {
  it('gives the frame and the rights of both levels, and null where an entry is absent', () => {
    const cpu = twoAddressSpaces();
    expect(translate(cpu, 0x2abc, DIR_A)).toEqual({
      physical: 0x42abc, user: true, writable: true, largePage: false,
      pdeIndex: 0, pde: TABLE_0 | P | RW | US, pteIndex: 2, pte: 0x42000 | P | RW | US,
    });
    expect(translate(cpu, 0x4000, DIR_A)).toMatchObject({ physical: 0x44000, user: true, writable: false });
    // U/S = 1 in the PTE does not help under a supervisor PDE (SDM 4.6).
    expect(translate(cpu, 0x400010, DIR_A)).toMatchObject({ physical: 0x60010, user: false, writable: true });
    expect(translate(cpu, 0xc0412345, DIR_A)).toMatchObject({ physical: 0x412345, user: false, largePage: true, pdeIndex: 769, pteIndex: null, pte: null });
    expect(translate(cpu, 0x6000, DIR_A)).toBeNull();
    expect(translate(cpu, 0x800000, DIR_A)).toBeNull();
  });

  it('walks a directory that is not loaded, without loading it', () => {
    const cpu = twoAddressSpaces();
    expect(translate(cpu, 0x80003004, DIR_B)).toMatchObject({ physical: 0x70004, user: true, pdeIndex: 0x200, pteIndex: 3 });
    expect(translate(cpu, 0x80003004, DIR_A)).toBeNull();
    expect(cpu.cr3).toBe(DIR_A);
  });
});

describe('mappings', () => {
  it('lists the present pages as runs that break where the frames or the rights do', () => {
    const cpu = twoAddressSpaces();
    expect(mappings(cpu, DIR_A)).toEqual(DIR_A_RUNS);
    expect(mappings(cpu, DIR_B)).toEqual([run(0x80003000, PAGE_4K, 0x70000, true, true, PAGE_4K)]);
  });

  it('cuts the runs at the edges of the range asked for', () => {
    const cpu = twoAddressSpaces();
    expect(mappings(cpu, DIR_A, { from: 0x2800, to: 0xc03fffff })).toEqual([
      run(0x2800, 0x800, 0x42800, true, true, PAGE_4K),
      ...DIR_A_RUNS.slice(1, -2),
      run(0xc0000000, PAGE_4M, 0, false, true, PAGE_4M),
    ]);
    expect(mappings(cpu, DIR_A, { from: 0xc0900000, to: 0xffffffff })).toEqual([run(0xc0900000, 0x300000, 0xd00000, true, true, PAGE_4M)]);
    expect(mappings(cpu, DIR_A, { from: 0x5000, to: 0x4fff })).toEqual([]);
  });

  it('without CR4.PSE reads a PS entry as a page table, as the CPU does', () => {
    const cpu = twoAddressSpaces();
    cpu.cr4 &= ~CR4_PSE;
    // Entry 768 now points at a "table" at physical 0: whatever RAM holds there.
    cpu.ram32[0] = 0x33000 | P | RW;
    const kernel = mappings(cpu, DIR_A, { from: 0xc0000000, to: 0xc03fffff });
    expect(kernel[0]).toEqual(run(0xc0000000, PAGE_4K, 0x33000, false, true, PAGE_4K));
    expect(translate(cpu, 0xc0000000, DIR_A)).toMatchObject({ largePage: false, pteIndex: 0, pte: 0x33000 | P | RW });
  });

  it('agrees page by page with the CPU\'s own translation, in ring 0 and ring 3', () => {
    const cpu = twoAddressSpaces();
    const runs = mappings(cpu, DIR_A);
    const expected = new Map<number, MappingRun>();
    for (const r of runs) for (let page = r.linear; page < r.linear + r.size; page += PAGE_4K) expected.set(page, r);
    const cpuTranslates = (linear: number, cpl: number): number | null => {
      cpu.cpl = cpl;
      cpu.flushTlb(false);
      try {
        return translateSlow(cpu, linear | 0, Access.Read) >>> 0;
      } catch (e) {
        if (e instanceof CpuException && e.vector === Vector.PF) return null;
        throw e;
      }
    };
    let checked = 0;
    for (let pde = 0; pde < 1024; pde++) {
      // Below an absent directory entry the CPU looks no further: one page says it for all 1024.
      const pages = (cpu.ram32[(DIR_A >>> 2) + pde]! & P) === 0 ? 1 : 1024;
      for (let i = 0; i < pages; i++) {
        const linear = (pde * PAGE_4M + i * PAGE_4K) >>> 0;
        const r = expected.get(linear);
        expect(cpuTranslates(linear, 0), `ring 0 at ${linear.toString(16)}`).toBe(r ? r.physical + (linear - r.linear) : null);
        expect(cpuTranslates(linear, 3) !== null, `ring 3 at ${linear.toString(16)}`).toBe(r?.user ?? false);
        checked++;
      }
    }
    expect(checked).toBe((1024 - 5) + 5 * 1024);
  });
});

describe('directoryEntries', () => {
  it('decodes each entry as the walk reads it', () => {
    const cpu = twoAddressSpaces();
    const [e767, e768, , e770] = directoryEntries(cpu, DIR_A, 767, 770);
    expect(e767).toEqual({ index: 767, raw: 0, present: false, user: false, writable: false, largePage: false, address: 0 });
    expect(e768).toEqual({ index: 768, raw: PS | P | RW, present: true, user: false, writable: true, largePage: true, address: 0 });
    expect(e770).toMatchObject({ user: true, largePage: true, address: 0xc00000 });
    expect(directoryEntries(cpu, DIR_A, 1, 1)[0]).toEqual({ index: 1, raw: TABLE_1 | P | RW, present: true, user: false, writable: true, largePage: false, address: TABLE_1 });
  });
});
