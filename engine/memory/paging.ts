// Linear-to-physical translation on a TLB miss: 32-bit two-level paging with
// 4 KiB and 4 MiB pages (SDM Vol. 3, 4.3), permission checks (4.6), accessed
// and dirty bits (4.8), and page-fault error codes (4.7).

import type { CpuState } from '../cpu/state.ts';
import { CpuException, Vector } from '../cpu/exceptions.ts';
import { CYCLES } from '../cpu/cycle-model.ts';
import { TLB_CODE, TLB_GLOBAL, TLB_NOT_RAM, TLB_NO_USER, TLB_NO_WRITE_SUPERVISOR, TLB_NO_WRITE_USER, TLB_WATCH } from './tlb.ts';

export const enum Access {
  Read = 0,
  Write = 1,
  Fetch = 2,
  /** Implicit supervisor access (descriptor tables, TSS) made while CPL is 3: checked as ring 0. */
  SystemRead = 4,
  SystemWrite = 5,
}

export const CR0_PE = 1 << 0;
export const CR0_WP = 1 << 16;
export const CR0_PG = 1 << 31;
export const CR4_PSE = 1 << 4;
export const CR4_PGE = 1 << 7;

/** Page-directory and page-table entry bits (SDM 4.3, Tables 4-4 to 4-6); the inspection API decodes with them too. */
export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PDE_PS = 1 << 7;
export const PTE_G = 1 << 8;

/** Page-fault error code bits (SDM 4.7). */
export const PF_PRESENT = 1 << 0;
export const PF_WRITE = 1 << 1;
export const PF_USER = 1 << 2;

/** A page-table entry as the walk reads it: all ones (the open bus) outside RAM. */
export function readPhys32(cpu: CpuState, phys: number): number {
  return phys >>> 0 < cpu.ramSize - 3 ? cpu.ram32[phys >>> 2]! : -1;
}

function writePhys32(cpu: CpuState, phys: number, v: number): void {
  if (phys >>> 0 < cpu.ramSize - 3) {
    cpu.written.mark(phys >>> 12);
    if (cpu.blocks !== null && cpu.blocks.codePages[phys >>> 12] !== 0) cpu.blocks.invalidatePage(phys >>> 12);
    cpu.ram32[phys >>> 2] = v;
  }
}

/** The TLB bit that keeps writes to a page with compiled code on the slow path, which invalidates the code. */
function codePageBits(cpu: CpuState, phys: number): number {
  return cpu.blocks !== null && cpu.blocks.codePages[phys >>> 12] !== 0 ? TLB_CODE : 0;
}

export interface Walk {
  /** False when the access faults (then `errorCode` and `why` say how). */
  allowed: boolean;
  /**
   * Physical address (unsigned) when allowed. Any 32-bit value is one, 0xFFFFFFFF
   * included (a frame at the top of the address space), so none can mean "faults".
   */
  physical: number;
  /** Page-fault error code when it faults. */
  errorCode: number;
  user: boolean;
  writable: boolean;
  global: boolean;
  dirty: boolean;
  /** Physical addresses of the entries used, for inspection. */
  pdeAddress: number;
  pteAddress: number;
  largePage: boolean;
  /** Why the access faults, for people; empty when it does not. */
  why: string;
}

/**
 * Walk the page tables for `linear` as an access of kind `write`/`user` would,
 * without side effects. Both the TLB refill and the inspection API use it; the
 * inspection API may walk a directory other than the loaded one (`cr3`), with
 * the CPU's CR0 and CR4 as they are.
 */
export function walkPageTables(cpu: CpuState, linear: number, write: boolean, user: boolean, cr3 = cpu.cr3): Walk {
  const result: Walk = {
    allowed: false, physical: 0, errorCode: (write ? PF_WRITE : 0) | (user ? PF_USER : 0),
    user: false, writable: false, global: false, dirty: false,
    pdeAddress: (cr3 & ~0xfff) + ((linear >>> 22) << 2), pteAddress: -1, largePage: false, why: '',
  };
  const pde = readPhys32(cpu, result.pdeAddress);
  if ((pde & PTE_P) === 0) {
    result.why = `page directory entry ${linear >>> 22} is not present`;
    return result;
  }
  let entry = pde;
  let physical: number;
  if ((pde & PDE_PS) !== 0 && (cpu.cr4 & CR4_PSE) !== 0) {
    result.largePage = true;
    physical = (pde & 0xffc00000) | (linear & 0x3fffff);
  } else {
    result.pteAddress = (pde & ~0xfff) + (((linear >>> 12) & 0x3ff) << 2);
    entry = readPhys32(cpu, result.pteAddress);
    if ((entry & PTE_P) === 0) {
      result.why = `page table entry ${(linear >>> 12) & 0x3ff} (directory entry ${linear >>> 22}) is not present`;
      return result;
    }
    physical = (entry & ~0xfff) | (linear & 0xfff);
  }
  // SDM 4.6: a page is user-accessible or writable only if every level says so.
  result.user = (pde & entry & PTE_US) !== 0;
  result.writable = (pde & entry & PTE_RW) !== 0;
  result.global = (entry & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
  result.dirty = (entry & PTE_D) !== 0;
  result.errorCode |= PF_PRESENT;
  if (user && !result.user) {
    result.why = 'the page is supervisor-only (U/S = 0)';
    return result;
  }
  if (write && !result.writable && (user || (cpu.cr0 & CR0_WP) !== 0)) {
    result.why = user ? 'the page is read-only (R/W = 0)' : 'the page is read-only (R/W = 0) and CR0.WP is set';
    return result;
  }
  result.allowed = true;
  result.physical = physical >>> 0;
  return result;
}

/** Translate on a TLB miss (or a permission the fast path could not grant): fill the TLB or raise #PF. */
export function translateSlow(cpu: CpuState, linear: number, access: Access): number {
  const write = (access & 1) !== 0;
  if ((cpu.cr0 & CR0_PG) === 0) {
    fillTlb(cpu, linear, linear, linear >>> 0 >= cpu.ramSize ? TLB_NOT_RAM : codePageBits(cpu, linear));
    return linear;
  }
  const user = cpu.cpl === 3 && access < Access.SystemRead;
  const walk = walkPageTables(cpu, linear, write, user);
  // The cycle model's TLB-miss cost: each entry the walk read, whether or not the access then faults.
  cpu.committedCycles += (walk.pteAddress === -1 ? 1 : 2) * CYCLES.pageWalkRead;
  if (!walk.allowed) {
    // A fault found at the PTE still used the PDE to get there, so the PDE's accessed flag is set (SDM 4.7,
    // footnote to the #PF error code: set on a protection fault; QEMU sets it for a not-present PTE too).
    if (walk.pteAddress !== -1) {
      const pde = readPhys32(cpu, walk.pdeAddress);
      if ((pde & PTE_A) === 0) writePhys32(cpu, walk.pdeAddress, pde | PTE_A);
    }
    cpu.cr2 = linear;
    throw new CpuException(Vector.PF, walk.errorCode, walk.why);
  }
  // Accessed and dirty bits are written back as the walk uses the entries (SDM 4.8).
  const pde = readPhys32(cpu, walk.pdeAddress);
  if (walk.largePage) {
    writePhys32(cpu, walk.pdeAddress, pde | PTE_A | (write ? PTE_D : 0));
  } else {
    if ((pde & PTE_A) === 0) writePhys32(cpu, walk.pdeAddress, pde | PTE_A);
    const pte = readPhys32(cpu, walk.pteAddress);
    writePhys32(cpu, walk.pteAddress, pte | PTE_A | (write ? PTE_D : 0));
  }
  const dirty = walk.dirty || write;
  let bits = 0;
  if (!walk.user) bits |= TLB_NO_USER;
  if (!walk.writable || !dirty) bits |= TLB_NO_WRITE_USER;
  if ((!walk.writable && (cpu.cr0 & CR0_WP) !== 0) || !dirty) bits |= TLB_NO_WRITE_SUPERVISOR;
  if (walk.global) bits |= TLB_GLOBAL;
  if (walk.physical >= cpu.ramSize) bits |= TLB_NOT_RAM;
  else bits |= codePageBits(cpu, walk.physical);
  // The entry's bits describe the page for both rings, so any access may fill it.
  fillTlb(cpu, linear, walk.physical, bits);
  return walk.physical;
}

const NO_WRITE = TLB_NO_WRITE_SUPERVISOR | TLB_NO_WRITE_USER;

/** An entry that lets the fast path write RAM marks the page written (see written-pages.ts). */
function fillTlb(cpu: CpuState, linear: number, physical: number, bits: number): void {
  if ((bits & TLB_NOT_RAM) === 0 && (bits & NO_WRITE) !== NO_WRITE) cpu.written.mark(physical >>> 12);
  cpu.tlb.fill(linear, physical, cpu.accessWatch.watchesPage(linear >>> 12) ? bits | TLB_WATCH : bits);
}
