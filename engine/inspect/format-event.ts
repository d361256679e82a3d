// One line per engine event, for `lab run --trace` and for reports: what a
// student needs to follow their kernel's ring switches and faults.

import type { EngineEvent } from '../events.ts';
import { vectorName } from '../cpu/exceptions.ts';
import { csEip, hexDigits, icountColumn } from '../hex.ts';

const at = csEip;

const TABLES = { gdt: 'LGDT', idt: 'LIDT', ldt: 'LLDT', tr: 'LTR' } as const;

export function formatEvent(e: EngineEvent): string {
  const count = icountColumn(e.icount);
  switch (e.type) {
    case 'interrupt': {
      const what = e.kind === 'external' ? `IRQ vector ${e.vector}` : e.kind === 'software' ? `INT ${e.vector}` : vectorName(e.vector);
      const code = e.errorCode >= 0 ? ` error=${hexDigits(e.errorCode, 4)}` : '';
      const cr2 = e.cr2 !== undefined ? ` cr2=${hexDigits(e.cr2)}` : '';
      const rings = e.fromCpl === e.toCpl ? `ring ${e.fromCpl}` : `ring ${e.fromCpl} -> ring ${e.toCpl}`;
      const detail = e.detail ? ` (${e.detail})` : '';
      return `${count} ${e.kind} ${what}${code}${cr2} ${rings} from ${at(e.fromCs, e.fromEip)} to ${at(e.toCs, e.toEip)} via ${e.gate} gate${detail}`;
    }
    case 'iret': case 'far-call': case 'far-return': case 'sysenter': case 'sysexit': case 'task-switch':
      return `${count} ${e.type} ring ${e.fromCpl} -> ring ${e.toCpl} to ${at(e.toCs, e.toEip)}`;
    case 'cr-write':
      return `${count} mov CR${e.cr} <- ${hexDigits(e.value)} at eip ${hexDigits(e.eip)}`;
    case 'table-load':
      return `${count} ${TABLES[e.table]} base=${hexDigits(e.base)} limit=${hexDigits(e.limit, 4)}${e.selector !== undefined ? ` selector=${hexDigits(e.selector, 4)}` : ''}`;
    case 'port':
      return `${count} ${e.write ? 'out' : 'in '} port ${hexDigits(e.port, 4)} ${e.write ? '<-' : '->'} ${hexDigits(e.value, e.size * 2)}`;
    case 'output':
      return `${count} ${e.source} byte ${hexDigits(e.byte, 2)}`;
    case 'end':
      return `${count} end: ${e.reason}: ${e.message}`;
  }
}
