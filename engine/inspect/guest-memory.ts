// Guest memory as tools read and write it (a debugger, the grader's checks):
// by physical address, or by linear address through the current page
// tables as ring 0 reaches it, without the side effects of a CPU access (no
// accessed or dirty bits set, no TLB fill, no fault).

import { OPEN_BUS, type CPU } from '../cpu/cpu.ts';
import { CR0_PG, walkPageTables } from '../memory/paging.ts';

/** Bytes at a physical address (read as unsigned); past RAM, and past 4 GiB, the bus's all ones. */
export function readPhysical(cpu: CPU, address: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const start = address >>> 0;
  for (let i = 0; i < length; i++) out[i] = start + i <= 0xffffffff ? cpu.readPhys8(start + i) : OPEN_BUS;
  return out;
}

/** Bytes at a linear address; null when the first byte is unmapped, fewer bytes when a later one is. */
export function peekLinear(cpu: CPU, linear: number, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const phys = physicalOf(cpu, (linear + i) | 0);
    if (phys === null) return i === 0 ? null : out.subarray(0, i);
    out[i] = cpu.readPhys8(phys);
  }
  return out;
}

/** Writes `bytes` at a linear address whatever the page's rights (compiled code there is dropped); nothing and false when a byte is unmapped. */
export function pokeLinear(cpu: CPU, linear: number, bytes: Uint8Array): boolean {
  const physical: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const phys = physicalOf(cpu, (linear + i) | 0);
    if (phys === null) return false;
    physical.push(phys);
  }
  physical.forEach((phys, i) => cpu.writePhys8(phys, bytes[i]!));
  return true;
}

/** Where a linear address is in RAM as ring 0 reaches it now; null when unmapped. */
function physicalOf(cpu: CPU, linear: number): number | null {
  if ((cpu.cr0 & CR0_PG) === 0) return linear >>> 0;
  const walk = walkPageTables(cpu, linear, false, false);
  return walk.allowed ? walk.physical : null;
}
