// The read-only view of a stopped machine, on a small guest that builds its
// own page tables (test/fixtures/grader/kernels/protect.c: the first 4 MiB
// identity-mapped for ring 3, its first MiB again at 0xC0000000 for ring 0
// only): the view's halves and directory entries say what the guest built,
// and its translation of every page is the engine's own answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../../engine/machine.ts';
import { KERNEL_HALF_BASE, type MachineView } from '../../../engine/inspect/machine-view.ts';
import { PAGE_4K, PAGE_4M, type MappingRun } from '../../../engine/inspect/page-walk.ts';
import { protectKernel } from '../../fixtures/grader/build-fixtures.ts';
import { needs } from '../../host-tools.ts';

const MIB = 0x100000;

describe('MachineView on a guest with its own page tables', needs('gcc'), () => {
  let machine: Machine;
  let view: MachineView;
  let cr3: number;
  beforeAll(async () => {
    machine = new Machine({ kernel: await protectKernel(), ramMiB: 16, maxInstructions: 5_000_000 });
    expect(machine.run().reason).toBe('debug-exit');
    view = machine.inspect;
    cr3 = view.registers().cr3 & ~0xfff;
  });
  afterAll(() => machine.release());

  it('splits the address space into the process\'s half and the kernel\'s', () => {
    const page = (linear: number, size: number, physical: number, user: boolean): MappingRun =>
      ({ linear, size, physical, user, writable: true, pageSize: PAGE_4K });
    expect(view.userHalf(cr3)).toEqual([page(0, 4 * MIB, 0, true)]);
    expect(view.kernelHalf(cr3)).toEqual([page(KERNEL_HALF_BASE, MIB, 0, false)]);
    expect(view.mappings(cr3)).toEqual([...view.userHalf(cr3), ...view.kernelHalf(cr3)]);
  });

  it('gives the kernel half\'s directory entries, 768 to 1023', () => {
    const entries = view.kernelDirectoryEntries(cr3);
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: 256 }, (_, i) => 768 + i));
    expect(entries[0]).toMatchObject({ present: true, user: false, writable: true, largePage: false });
    expect(entries.slice(1).every((e) => !e.present)).toBe(true);
    // The table it names holds the alias's entries: physical page 5 at 0xC0005000.
    const t = view.translate(KERNEL_HALF_BASE + 5 * PAGE_4K, cr3)!;
    expect(t).toMatchObject({ physical: 5 * PAGE_4K, pde: entries[0]!.raw, pteIndex: 5 });
    expect(Buffer.from(view.readPhysical(entries[0]!.address + 5 * 4, 4)).readUInt32LE()).toBe(t.pte);
  });

  it('translates every page as the engine does, for ring 0 and ring 3', () => {
    const present = new Set(view.mappings(cr3).map((r) => r.linear >>> 22));
    let pages = 0;
    for (let pde = 0; pde < 1024; pde++) {
      // Below an absent directory entry the walk looks no further: one page answers for all 1024.
      for (let i = 0; i < (present.has(pde) ? 1024 : 1); i++) {
        const linear = (pde * PAGE_4M + i * PAGE_4K + 0x123) >>> 0;
        const t = view.translate(linear);
        const ring0 = machine.explainAccess(linear, { cpl: 0, access: 'read' });
        const ring3 = machine.explainAccess(linear, { cpl: 3, access: 'read' });
        expect(t?.physical ?? null, `${linear.toString(16)}`).toBe(ring0.physical);
        expect(t?.user ?? false, `${linear.toString(16)}`).toBe(ring3.allowed);
        pages++;
      }
    }
    expect(pages).toBe(1022 + 2 * 1024);
  });

  it('reads linear memory through the page tables, and nothing where a page is absent', () => {
    const alias = view.readLinear(KERNEL_HALF_BASE + 0x100000 - 2, 2);
    expect(alias).toEqual(view.readPhysical(0x100000 - 2, 2));
    expect(view.readLinear(KERNEL_HALF_BASE + 0x100000 - 2, 4)).toBeNull();
    expect(view.readLinear(0x80000000, 1)).toBeNull();
  });

  it('answers with copies: changing one changes nothing in the machine', () => {
    const bytes = view.readPhysical(0x1000, 4);
    bytes.fill(0xaa);
    expect(view.readPhysical(0x1000, 4)).not.toEqual(bytes);
    const regs = view.registers();
    regs.cr3 = 0;
    expect(view.registers().cr3 & ~0xfff).toBe(cr3);
  });

  it('shows the APICs as the firmware left them; their page reads as the open bus, so looking changes no device', () => {
    expect(view.apic()).toMatchObject({ base: 0xfee00900, id: 0, svr: 0x1ff, tpr: 0, lvt: [0x10000, 0x10000, 0x10000, 0x8700, 0x8400, 0x10000] });
    expect(view.ioApic().entries).toEqual(Array(24).fill(0x10000n));
    const before = view.apic();
    expect([...view.readPhysical(0xfee00000, 8)]).toEqual(Array(8).fill(0xff));
    expect([...view.readPhysical(0xfec00000, 4)]).toEqual(Array(4).fill(0xff));
    expect(view.apic()).toEqual(before);
  });
});
