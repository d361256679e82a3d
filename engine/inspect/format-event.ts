// One line per engine event, for `lab run --trace` and for reports: what a
// student needs to follow their kernel's ring switches and faults.

import type { EngineEvent } from '../events.ts';
import { vectorName } from '../cpu/exceptions.ts';

function hex(v: number, digits = 8): string {
  return (v >>> 0).toString(16).padStart(digits, '0');
}

function at(cs: number, eip: number): string {
  return `${hex(cs, 4)}:${hex(eip)}`;
}

const TABLES = { gdt: 'LGDT', idt: 'LIDT', ldt: 'LLDT', tr: 'LTR' } as const;

export function formatEvent(e: EngineEvent): string {
  const count = `[${String(e.icount).padStart(11)}]`;
  switch (e.type) {
    case 'interrupt': {
      const what = e.kind === 'external' ? `IRQ vector ${e.vector}` : e.kind === 'software' ? `INT ${e.vector}` : vectorName(e.vector);
      const code = e.errorCode >= 0 ? ` error=${hex(e.errorCode, 4)}` : '';
      const cr2 = e.cr2 !== undefined ? ` cr2=${hex(e.cr2)}` : '';
      const rings = e.fromCpl === e.toCpl ? `ring ${e.fromCpl}` : `ring ${e.fromCpl} -> ring ${e.toCpl}`;
      const detail = e.detail ? ` (${e.detail})` : '';
      return `${count} ${e.kind} ${what}${code}${cr2} ${rings} from ${at(e.fromCs, e.fromEip)} to ${at(e.toCs, e.toEip)} via ${e.gate} gate${detail}`;
    }
    case 'iret': case 'far-return': case 'sysenter': case 'sysexit':
      return `${count} ${e.type} ring ${e.fromCpl} -> ring ${e.toCpl} to ${at(e.toCs, e.toEip)}`;
    case 'cr-write':
      return `${count} mov CR${e.cr} <- ${hex(e.value)} at eip ${hex(e.eip)}`;
    case 'table-load':
      return `${count} ${TABLES[e.table]} base=${hex(e.base)} limit=${hex(e.limit, 4)}${e.selector !== undefined ? ` selector=${hex(e.selector, 4)}` : ''}`;
    case 'port':
      return `${count} ${e.write ? 'out' : 'in '} port ${hex(e.port, 4)} ${e.write ? '<-' : '->'} ${hex(e.value, e.size * 2)}`;
    case 'output':
      return `${count} ${e.source} byte ${hex(e.byte, 2)}`;
    case 'end':
      return `${count} end: ${e.reason}: ${e.message}`;
  }
}
