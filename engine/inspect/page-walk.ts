// "What would this access get, and why": a page-table walk for people and
// test checks, without touching the TLB or the accessed/dirty bits.

import type { CPU } from '../cpu/cpu.ts';
import { CR0_PG, walkPageTables } from '../memory/paging.ts';
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
