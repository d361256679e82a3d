// The registers as a debugger or a report shows them: unsigned, EFLAGS with
// its lazily kept status flags worked out, and the current privilege level.

import type { CPU } from '../cpu/cpu.ts';

export interface Registers {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
  cs: number; ss: number; ds: number; es: number; fs: number; gs: number;
  cr0: number; cr2: number; cr3: number; cr4: number;
  cpl: number;
}

export function readRegisters(c: CPU): Registers {
  const u = (v: number) => v >>> 0;
  return {
    eax: u(c.r32[0]), ecx: u(c.r32[1]), edx: u(c.r32[2]), ebx: u(c.r32[3]),
    esp: u(c.r32[4]), ebp: u(c.r32[5]), esi: u(c.r32[6]), edi: u(c.r32[7]),
    eip: u(c.eip), eflags: u(c.getFlags()),
    es: c.segSel[0], cs: c.segSel[1], ss: c.segSel[2], ds: c.segSel[3], fs: c.segSel[4], gs: c.segSel[5],
    cr0: u(c.cr0), cr2: u(c.cr2), cr3: u(c.cr3), cr4: u(c.cr4),
    cpl: c.cpl,
  };
}
