// What gdb's `monitor` commands print: the descriptor tables, the TSS and a
// page walk, read through the machine's read-only view, as text.

import { hexDigits } from '../hex.ts';
import type { MachineView } from '../inspect/machine-view.ts';

export function formatTables(view: MachineView, which: 'gdt' | 'idt' | 'tss'): string {
  if (which === 'tss') {
    const t = view.tss();
    if (t === null) return 'no TSS loaded (TR is null or not a TSS)\n';
    return `tss: selector ${hexDigits(t.selector, 4)} base ${hexDigits(t.base)} limit ${hexDigits(t.limit)} ss0 ${hexDigits(t.ss0, 4)} esp0 ${hexDigits(t.esp0)} iomap ${hexDigits(t.ioMapBase, 4)} link ${hexDigits(t.link, 4)}\n`;
  }
  if (which === 'gdt') {
    const lines = view.gdt().filter((d) => d.present).map((d) =>
      `${hexDigits(d.selector, 4)} ${d.kind.padEnd(13)} dpl ${d.dpl} base ${hexDigits(d.base)} limit ${hexDigits(d.limit)}${d.big ? ' 32-bit' : ''}${d.conforming ? ' conforming' : ''}`);
    return lines.length === 0 ? 'the GDT has no present descriptor\n' : `${lines.join('\n')}\n`;
  }
  const gates = view.idt().filter((g) => g.present).map((g) =>
    `${hexDigits(g.vector, 2)} ${g.kind.padEnd(9)} dpl ${g.dpl} ${hexDigits(g.selector, 4)}:${hexDigits(g.offset)}`);
  return gates.length === 0 ? 'the IDT has no present gate\n' : `${gates.join('\n')}\n`;
}

/** How ring 0 and ring 3 reads and writes of `linear` fare in the current page tables. */
export function formatPageWalk(view: MachineView, linear: number): string {
  const lines = [`${hexDigits(linear)}:`];
  for (const cpl of [0, 3]) {
    for (const access of ['read', 'write', 'fetch'] as const) lines.push(`  ${view.explainAccess(linear, { cpl, access }).why}`);
  }
  return `${lines.join('\n')}\n`;
}
