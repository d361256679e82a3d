// The address spaces of a failed run, as the CPU saw them at its end: for
// each page directory that was in CR3 while ring 3 ran (and the one loaded at
// the end), its present mappings as runs of pages with the same rights. This
// is what the report draws (report/html.ts) and the terminal lists: built
// from the engine's page walks, never from anything the kernel prints.

import type { AddressSpace, AddressSpaceRun } from '../model.ts';
import type { TestRun } from '../api/spec.ts';
import { CR0_PG } from '../../engine/memory/paging.ts';

/** Directories drawn per test, and runs kept per directory: enough to see a layout, bounded for the report. */
const MAX_SPACES = 6;
const MAX_RUNS = 64;

export function addressSpacesOf(run: TestRun): AddressSpace[] {
  const regs = run.inspect.registers();
  if ((regs.cr0 & CR0_PG) === 0) return [];
  const directories: number[] = [];
  const note = (cr3: number | undefined) => {
    if (cr3 === undefined) return;
    const dir = (cr3 & ~0xfff) >>> 0;
    if (!directories.includes(dir)) directories.push(dir);
  };
  let cr3: number | undefined;
  for (const e of run.events) {
    if (e.type === 'cr-write' && e.cr === 3) cr3 = e.value;
    else if ((e.type === 'iret' || e.type === 'sysexit') && e.toCpl === 3) note(cr3);
  }
  note(regs.cr3);
  return directories.slice(0, MAX_SPACES).map((dir) => {
    const merged = mergeRuns(run.inspect.mappings(dir).map((m) => ({ linear: m.linear >>> 0, size: m.size, user: m.user, writable: m.writable })));
    return { cr3: dir, runs: merged.slice(0, MAX_RUNS), truncated: merged.length > MAX_RUNS };
  });
}

/** Adjacent runs with the same rights, as one: a picture has no use for where each frame is. */
function mergeRuns(runs: AddressSpaceRun[]): AddressSpaceRun[] {
  const out: AddressSpaceRun[] = [];
  for (const r of runs) {
    const last = out.at(-1);
    if (last !== undefined && last.linear + last.size === r.linear && last.user === r.user && last.writable === r.writable) last.size += r.size;
    else out.push({ ...r });
  }
  return out;
}
