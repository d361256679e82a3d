// Descriptor tables decoded for people and for test checks: the GDT, the IDT
// and the TSS as the CPU would read them right now. The bits are decoded by
// memory/segmentation.ts, as the CPU decodes them; this file names them.

import type { CPU } from '../cpu/cpu.ts';
import { walkPageTables } from '../memory/paging.ts';
import { CR0_PG } from '../memory/paging.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S, ACC_WRITABLE_OR_READABLE, DESCRIPTOR_BIG,
  GATE_INTERRUPT_16, GATE_INTERRUPT_32, GATE_TASK, GATE_TRAP_16, GATE_TRAP_32,
  decodeDescriptor, decodeGate, descriptorDpl,
} from '../memory/segmentation.ts';

export interface SegmentDescriptorInfo {
  index: number;
  selector: number;
  present: boolean;
  dpl: number;
  /** 'code', 'data', or the system type's name ('tss-available', 'tss-busy', 'ldt', 'call-gate', ...). */
  kind: string;
  base: number;
  limit: number;
  /** Code: readable; data: writable. */
  readableOrWritable: boolean;
  conforming: boolean;
  /** D/B bit: 32-bit code or stack. */
  big: boolean;
  raw: [number, number];
}

export interface GateInfo {
  vector: number;
  present: boolean;
  dpl: number;
  kind: 'interrupt' | 'trap' | 'task' | 'interrupt-16' | 'trap-16' | 'invalid';
  selector: number;
  offset: number;
  raw: [number, number];
}

export interface TssInfo {
  selector: number;
  base: number;
  limit: number;
  /** The previous task link: the TSS an IRET with EFLAGS.NT set returns to (SDM 7.4). */
  link: number;
  esp0: number;
  ss0: number;
  esp1: number;
  ss1: number;
  esp2: number;
  ss2: number;
  ioMapBase: number;
}

const SYSTEM_TYPES: Record<number, string> = {
  0x1: 'tss16-available', 0x2: 'ldt', 0x3: 'tss16-busy', 0x4: 'call-gate16', 0x5: 'task-gate',
  0x6: 'interrupt-gate16', 0x7: 'trap-gate16', 0x9: 'tss-available', 0xb: 'tss-busy',
  0xc: 'call-gate', 0xe: 'interrupt-gate', 0xf: 'trap-gate',
};

/** Read a dword at a linear address as the CPU's supervisor would; null when unmapped. */
export function peekLinear32(cpu: CPU, linear: number): number | null {
  let v = 0;
  let page = -1;
  let frame = 0;
  for (let i = 0; i < 4; i++) {
    let phys = (linear + i) | 0;
    if (cpu.cr0 & CR0_PG) {
      // One walk per page: a table entry is read per gate of the IDT, so walk per byte would be 2048 walks.
      if (phys >>> 12 !== page) {
        page = phys >>> 12;
        const walk = walkPageTables(cpu, phys, false, false);
        if (!walk.allowed) return null;
        frame = walk.physical & ~0xfff;
      }
      phys = frame | (phys & 0xfff);
    }
    v |= cpu.readPhys8(phys) << (8 * i);
  }
  return v;
}

export function decodeSegmentDescriptor(index: number, low: number, high: number): SegmentDescriptorInfo {
  const d = decodeDescriptor(low, high, 0);
  const system = (d.access & ACC_S) === 0;
  const code = !system && (d.access & ACC_CODE) !== 0;
  return {
    index,
    selector: index << 3,
    present: (d.access & ACC_PRESENT) !== 0,
    dpl: descriptorDpl(d.access),
    kind: system ? SYSTEM_TYPES[d.access & 0xf] ?? `system-type-${d.access & 0xf}` : code ? 'code' : 'data',
    base: d.base >>> 0,
    limit: d.limit,
    readableOrWritable: !system && (d.access & ACC_WRITABLE_OR_READABLE) !== 0,
    conforming: code && (d.access & ACC_CONFORMING) !== 0,
    big: (high & DESCRIPTOR_BIG) !== 0,
    raw: [low >>> 0, high >>> 0],
  };
}

export function readGdt(cpu: CPU): SegmentDescriptorInfo[] {
  const out: SegmentDescriptorInfo[] = [];
  for (let i = 0; i * 8 + 7 <= cpu.gdtLimit; i++) {
    const low = peekLinear32(cpu, (cpu.gdtBase + i * 8) | 0);
    const high = peekLinear32(cpu, (cpu.gdtBase + i * 8 + 4) | 0);
    if (low === null || high === null) break;
    out.push(decodeSegmentDescriptor(i, low, high));
  }
  return out;
}

const GATE_KINDS: Record<number, GateInfo['kind']> = {
  [GATE_TASK]: 'task', [GATE_INTERRUPT_16]: 'interrupt-16', [GATE_TRAP_16]: 'trap-16',
  [GATE_INTERRUPT_32]: 'interrupt', [GATE_TRAP_32]: 'trap',
};

export function decodeGateInfo(vector: number, low: number, high: number): GateInfo {
  const gate = decodeGate(low, high);
  return {
    vector,
    present: gate.present,
    dpl: gate.dpl,
    kind: GATE_KINDS[gate.type] ?? 'invalid',
    selector: gate.selector,
    offset: gate.offset >>> 0,
    raw: [low >>> 0, high >>> 0],
  };
}

export function readIdt(cpu: CPU): GateInfo[] {
  const out: GateInfo[] = [];
  for (let v = 0; v < 256 && v * 8 + 7 <= cpu.idtLimit; v++) {
    const low = peekLinear32(cpu, (cpu.idtBase + v * 8) | 0);
    const high = peekLinear32(cpu, (cpu.idtBase + v * 8 + 4) | 0);
    if (low === null || high === null) break;
    out.push(decodeGateInfo(v, low, high));
  }
  return out;
}

export function readTss(cpu: CPU): TssInfo | null {
  if ((cpu.trSel & 0xfffc) === 0) return null;
  const at = (off: number) => peekLinear32(cpu, (cpu.trBase + off) | 0) ?? 0;
  return {
    selector: cpu.trSel,
    base: cpu.trBase >>> 0,
    limit: cpu.trLimit >>> 0,
    link: at(0) & 0xffff,
    esp0: at(4) >>> 0, ss0: at(8) & 0xffff,
    esp1: at(12) >>> 0, ss1: at(16) & 0xffff,
    esp2: at(20) >>> 0, ss2: at(24) & 0xffff,
    ioMapBase: at(0x64) >>> 16,
  };
}
