// A read-only view of a machine, for whoever judges a run (the grader's
// checks) without being allowed to change it: registers, memory, the
// descriptor tables and the page tables, read on demand from the machine as
// it stands. Nothing is copied until asked, and no answer gives a way back to
// the machine: every method returns fresh plain data, and the view holds the
// machine only in its closures.

import type { Counters, Machine, Registers, TracedInstruction } from '../machine.ts';
import type { PicState } from '../devices/pic.ts';
import type { LocalApicState } from '../devices/local-apic.ts';
import type { IoApicState } from '../devices/io-apic.ts';
import type { GateInfo, SegmentDescriptorInfo, TssInfo } from './tables.ts';
import {
  directoryEntries, mappings, translate,
  type AccessAnswer, type AccessQuery, type DirectoryEntry, type LinearRange, type MappingRun, type Translation,
} from './page-walk.ts';

/**
 * Where the kernel half of an address space begins in the course's 3 GiB /
 * 1 GiB split (Linux's too): page-directory entry 768.
 */
export const KERNEL_HALF_BASE = 0xc0000000;
const KERNEL_FIRST_PDE = KERNEL_HALF_BASE >>> 22;

export interface MachineView {
  /** General, segment and control registers and the CPL, as the run left them. */
  registers(): Registers;
  /** Bytes of guest RAM. */
  ramBytes(): number;
  /** Bytes at a physical address; where no RAM is, the bus's all ones. */
  readPhysical(address: number, length: number): Uint8Array;
  /** Bytes at a linear address as ring 0 reads them now (through the page tables when paging is on); null unless all are mapped. */
  readLinear(linear: number, length: number): Uint8Array | null;
  /** The descriptor tables the CPU uses now, decoded. */
  gdt(): SegmentDescriptorInfo[];
  idt(): GateInfo[];
  /** The TSS the task register names; null before LTR. */
  tss(): TssInfo | null;
  /** What a ring-0 or ring-3 read, write or fetch of `linear` would get now, and why, in one line. */
  explainAccess(linear: number, query: AccessQuery): AccessAnswer;
  /** Where the directory at `cr3` (default: the loaded CR3) maps `linear`, with its rights; null when not present. */
  translate(linear: number, cr3?: number): Translation | null;
  /** The present mappings of the directory at `cr3` (within `range`, default all 4 GiB), as runs in address order. */
  mappings(cr3: number, range?: LinearRange): MappingRun[];
  /** mappings() below KERNEL_HALF_BASE: a process's own pages. */
  userHalf(cr3: number): MappingRun[];
  /** mappings() from KERNEL_HALF_BASE up: the kernel's pages. */
  kernelHalf(cr3: number): MappingRun[];
  /** Directory entries 768-1023 of the directory at `cr3`: every process should share the kernel's. */
  kernelDirectoryEntries(cr3: number): DirectoryEntry[];
  /** The interrupt controllers' request, in-service and mask registers and vector bases. */
  pic(): PicState;
  /** The local APIC: base, ID, TPR, SVR, IRR and ISR (eight dwords each), the LVT and the timer. */
  apic(): LocalApicState;
  /** The I/O APIC's ID and its 24 redirection entries as 64-bit values. */
  ioApic(): IoApicState;
  /** The VGA text screen (80x25) as lines. */
  screen(): string[];
  /** Instructions retired and modelled cycles (cpu/cycle-model.ts), in all, per CPL and per CR3. */
  counters(): Counters;
  /** The last instructions run, oldest first, when the run kept a trace. */
  recentInstructions(): TracedInstruction[];
}

/** The view of `machine`; like the machine's own accessors, it throws once the machine is released. */
export function machineView(machine: Machine): MachineView {
  const loadedCr3 = () => machine.cpu.cr3;
  return Object.freeze({
    registers: () => machine.registers(),
    ramBytes: () => machine.ram.length,
    readPhysical: (address: number, length: number) => machine.readPhysical(address, length),
    readLinear(linear: number, length: number) {
      const bytes = machine.peekLinear(linear, length);
      return bytes !== null && bytes.length === length ? bytes : null;
    },
    gdt: () => machine.gdt(),
    idt: () => machine.idt(),
    tss: () => machine.tss(),
    explainAccess: (linear: number, query: AccessQuery) => machine.explainAccess(linear, query),
    translate: (linear: number, cr3 = loadedCr3()) => translate(machine.cpu, linear, cr3),
    mappings: (cr3: number, range?: LinearRange) => mappings(machine.cpu, cr3, range),
    userHalf: (cr3: number) => mappings(machine.cpu, cr3, { from: 0, to: KERNEL_HALF_BASE - 1 }),
    kernelHalf: (cr3: number) => mappings(machine.cpu, cr3, { from: KERNEL_HALF_BASE, to: 0xffffffff }),
    kernelDirectoryEntries: (cr3: number) => directoryEntries(machine.cpu, cr3, KERNEL_FIRST_PDE, 1023),
    pic: () => machine.pic.state(),
    apic: () => machine.apic.state(),
    ioApic: () => machine.ioApic.state(),
    screen: () => machine.screen(),
    counters: () => machine.counters(),
    recentInstructions: () => machine.recentInstructions(),
  });
}
