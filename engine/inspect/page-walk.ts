// "What would this access get, and why": a page-table walk for people and
// test checks, without touching the TLB or the accessed/dirty bits.

import type { CPU } from '../cpu/cpu.ts';
import type { CpuState } from '../cpu/state.ts';
import { CR0_PG, CR4_PSE, PDE_PS, PTE_P, PTE_RW, PTE_US, readPhys32, walkPageTables } from '../memory/paging.ts';
import { hex32 } from '../hex.ts';

export interface AccessQuery {
  /** 0 or 3: the privilege the access is made at. */
  cpl: number;
  access: 'read' | 'write' | 'fetch';
}

export interface AccessAnswer {
  allowed: boolean;
  /** Physical address when allowed. */
  physical: number | null;
  /** The #PF error code the access would raise when not allowed. */
  errorCode: number | null;
  /** One line: "ring 3 write to 0xc0100000: page is supervisor-only (U/S = 0) in PDE 768". */
  why: string;
  /** The page's combined attributes, when it is mapped. */
  user: boolean;
  writable: boolean;
  largePage: boolean;
  pdeAddress: number;
  pteAddress: number | null;
}

export function explainAccess(cpu: CPU, linear: number, q: AccessQuery): AccessAnswer {
  const lin = linear >>> 0;
  const label = `ring ${q.cpl} ${q.access} of ${hex32(lin)}`;
  if ((cpu.cr0 & CR0_PG) === 0) {
    return {
      allowed: true, physical: lin, errorCode: null, why: `${label}: paging is off, linear = physical`,
      user: true, writable: true, largePage: false, pdeAddress: 0, pteAddress: null,
    };
  }
  const w = walkPageTables(cpu, lin | 0, q.access === 'write', q.cpl === 3);
  const allowed = w.allowed;
  return {
    allowed,
    physical: allowed ? w.physical : null,
    errorCode: allowed ? null : w.errorCode,
    why: allowed
      ? `${label}: allowed, physical 0x${w.physical.toString(16)} (${w.user ? 'user' : 'supervisor'}, ${w.writable ? 'writable' : 'read-only'}${w.largePage ? ', 4 MiB page' : ''})`
      : `${label}: page fault, ${w.why}`,
    user: w.user,
    writable: w.writable,
    largePage: w.largePage,
    pdeAddress: w.pdeAddress >>> 0,
    pteAddress: w.pteAddress === -1 ? null : w.pteAddress >>> 0,
  };
}

/** Where a linear address leads in one page directory, and with which rights. */
export interface Translation {
  physical: number;
  /** Ring 3 may reach the page: U/S = 1 at both levels (SDM 4.6). */
  user: boolean;
  /** Writable at both levels (R/W = 1); ring 0 may write a read-only page too unless CR0.WP. */
  writable: boolean;
  largePage: boolean;
  /** The directory entry used: its index (the address's bits 31-22) and raw value. */
  pdeIndex: number;
  pde: number;
  /** The page-table entry used, for a 4 KiB page. */
  pteIndex: number | null;
  pte: number | null;
}

/**
 * The directory at `cr3` maps `linear` to this, whether or not that directory
 * is loaded or paging is on (CR4.PSE as the CPU has it now); null when an
 * entry on the way is not present.
 */
export function translate(cpu: CpuState, linear: number, cr3: number): Translation | null {
  const w = walkPageTables(cpu, linear | 0, false, false, cr3);
  if (!w.allowed) return null;
  return {
    physical: w.physical,
    user: w.user,
    writable: w.writable,
    largePage: w.largePage,
    pdeIndex: linear >>> 22,
    pde: readPhys32(cpu, w.pdeAddress) >>> 0,
    pteIndex: w.largePage ? null : (linear >>> 12) & 0x3ff,
    pte: w.largePage ? null : readPhys32(cpu, w.pteAddress) >>> 0,
  };
}

export const PAGE_4K = 0x1000;
export const PAGE_4M = 0x400000;

/** Consecutive pages mapped alike: linear and physical both contiguous, the same rights and page size. */
export interface MappingRun {
  /** First linear address. */
  linear: number;
  /** Bytes: a multiple of the page size, unless the run was cut at the edge of the range asked for. */
  size: number;
  physical: number;
  user: boolean;
  writable: boolean;
  pageSize: typeof PAGE_4K | typeof PAGE_4M;
}

/** Linear addresses from..to, both inclusive. */
export interface LinearRange {
  from: number;
  to: number;
}

/**
 * The present mappings of the directory at `cr3` within `range`, as runs in
 * address order. Every page's answer is the page walk's own, so the runs say
 * what `translate` says, page by page.
 */
export function mappings(cpu: CpuState, cr3: number, range: LinearRange = { from: 0, to: 0xffffffff }): MappingRun[] {
  const from = range.from >>> 0;
  const to = range.to >>> 0;
  const runs: MappingRun[] = [];
  // A page joins the run before it when it continues it in both address spaces with the same rights.
  const add = (linear: number, size: number, t: Translation, pageSize: MappingRun['pageSize']): void => {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.linear + last.size === linear && last.physical + last.size === t.physical
      && last.user === t.user && last.writable === t.writable && last.pageSize === pageSize) {
      last.size += size;
      return;
    }
    runs.push({ linear, size, physical: t.physical, user: t.user, writable: t.writable, pageSize });
  };
  if (from > to) return runs;
  for (let pdi = from >>> 22; pdi <= to >>> 22; pdi++) {
    const first = Math.max(pdi * PAGE_4M, from);
    const end = Math.min(pdi * PAGE_4M + PAGE_4M - 1, to);
    const probe = walkPageTables(cpu, first | 0, false, false, cr3);
    if (!probe.allowed && probe.pteAddress === -1) continue; // the directory entry is not present
    if (probe.largePage) {
      add(first, end - first + 1, translate(cpu, first, cr3)!, PAGE_4M);
      continue;
    }
    for (let page = first - (first % PAGE_4K); page <= end; page += PAGE_4K) {
      const start = Math.max(page, first);
      const t = translate(cpu, start, cr3);
      if (t !== null) add(start, Math.min(page + PAGE_4K - 1, end) - start + 1, t, PAGE_4K);
    }
  }
  return runs;
}

/** One page-directory entry decoded: lab 4 compares the kernel's entries across processes' directories. */
export interface DirectoryEntry {
  index: number;
  raw: number;
  present: boolean;
  user: boolean;
  writable: boolean;
  /** A 4 MiB page (PS = 1 with CR4.PSE) rather than a page table. */
  largePage: boolean;
  /** The page table's physical address, or the 4 MiB page's. */
  address: number;
}

/** Entries first..last of the directory at `cr3`, as the walk would read them. */
export function directoryEntries(cpu: CpuState, cr3: number, first: number, last: number): DirectoryEntry[] {
  const out: DirectoryEntry[] = [];
  for (let index = first; index <= last; index++) {
    const raw = readPhys32(cpu, (cr3 & ~0xfff) + index * 4);
    const largePage = (raw & PDE_PS) !== 0 && (cpu.cr4 & CR4_PSE) !== 0;
    out.push({
      index,
      raw: raw >>> 0,
      present: (raw & PTE_P) !== 0,
      user: (raw & PTE_US) !== 0,
      writable: (raw & PTE_RW) !== 0,
      largePage,
      address: (largePage ? raw & 0xffc00000 : raw & ~0xfff) >>> 0,
    });
  }
  return out;
}
