// Checks on the protection set-up, read from the stopped machine: IDT gate
// privileges, the kernel's pages out of user reach, user pages never run at CPL 0.

import type { Translation } from '../../../engine/inspect/page-walk.ts';
import { CR0_PG } from '../../../engine/memory/paging.ts';
import type { Check } from '../spec.ts';
import { endWhere, fail, hex, PASS } from './outcome.ts';

/** Every present IDT gate has DPL 0 except the vectors in allowUser, so INT n from ring 3 reaches only those. */
export function idtGatesDpl(opts: { allowUser?: number[] } = {}): Check {
  const allow = new Set(opts.allowUser ?? [0x80]);
  const allowText = [...allow].map((v) => hex(v, 2)).join(', ') || 'none';
  return {
    negative: true,
    name: `every present IDT gate but ${allowText} has DPL 0`,
    role: { cause: true },
    evaluate(run) {
      const gates = run.inspect.idt();
      if (gates.length === 0) return fail('an IDT loaded with LIDT', 'the IDT is empty (limit 0 or never loaded)', endWhere(run));
      const bad = gates.filter((g) => g.present && g.dpl !== 0 && !allow.has(g.vector));
      if (bad.length === 0) return PASS;
      const list = bad.slice(0, 6).map((g) => `${hex(g.vector, 2)} (DPL ${g.dpl})`).join(', ');
      return fail(
        `DPL 0 on every present gate except ${allowText}`,
        `${bad.length} gate(s) let ring 3 in: ${list}${bad.length > 6 ? ', …' : ''}`,
      );
    },
  };
}

export interface AddressRange {
  /** First linear address (inclusive). */
  from: number;
  /** Last linear address (inclusive); default 0xFFFFFFFF. */
  to?: number;
}

/**
 * No page in [from, to] is user-accessible in any page directory the kernel
 * used: every CR3 value written during the run (from CR3-write events) and
 * the CR3 loaded at the end. Each directory is read through the page walk at
 * the end of the run (the U/S bits of both levels must be set for ring 3 to
 * reach a page). A directory freed and reused during the run is judged by its
 * final contents.
 */
export function kernelNotUserAccessible(range: AddressRange = { from: 0xc0000000 }): Check {
  const from = range.from >>> 0;
  const to = (range.to ?? 0xffffffff) >>> 0;
  return {
    name: `kernel memory ${hex(from)}-${hex(to)} is not user-accessible in any page directory`,
    role: { cause: true },
    evaluate(run) {
      const view = run.inspect;
      const regs = view.registers();
      const pagingNow = (regs.cr0 & CR0_PG) !== 0;
      const dirs = new Set<number>();
      let pagingSeen = pagingNow;
      for (const e of run.events) {
        if (e.type === 'cr-write' && e.cr === 3) dirs.add((e.value & ~0xfff) >>> 0);
        if (e.type === 'cr-write' && e.cr === 0 && (e.value & CR0_PG) !== 0) pagingSeen = true;
      }
      if (pagingNow) dirs.add((regs.cr3 & ~0xfff) >>> 0);
      if (!pagingSeen) return fail('paging on, with kernel pages supervisor-only', 'the kernel never enabled paging (CR0.PG): ring 3 can reach all memory', endWhere(run));
      for (const dir of [...dirs].sort((a, b) => a - b)) {
        if (dir + 4096 > view.ramBytes()) continue; // not a directory in RAM: the kernel never ran with it
        const leak = view.mappings(dir, { from, to }).find((m) => m.user);
        if (leak === undefined) continue;
        const current = pagingNow && (regs.cr3 & ~0xfff) >>> 0 === dir;
        return fail(
          `no user-accessible page in ${hex(from)}-${hex(to)}`,
          `in the page directory at ${hex(dir)}, ring 3 can read ${hex(leak.linear)}: ${current ? view.explainAccess(leak.linear, { cpl: 3, access: 'read' }).why : userEntries(view.translate(leak.linear, dir)!)}`,
        );
      }
      return PASS;
    },
  };
}

/** The entries that give ring 3 a page: both levels' U/S bits. */
function userEntries(t: Translation): string {
  return t.pte === null
    ? `4 MiB page: PDE ${t.pdeIndex} = ${hex(t.pde)} has U/S = 1`
    : `PDE ${t.pdeIndex} = ${hex(t.pde)} and PTE ${t.pteIndex} = ${hex(t.pte)} both have U/S = 1`;
}

/**
 * No instruction ran at CPL 0 inside [from, to] (user code run with kernel
 * privilege). Judged from what the engine reports: every event that enters or
 * stays in ring 0 at a known address (interrupt and exception deliveries,
 * SYSENTER, IRET and far returns to ring 0) must land outside the range, no
 * interrupt may be taken from ring 0 code inside it (an INT 0x80 made by a
 * program entered at CPL 0), the run must not stop at CPL 0 inside it, and,
 * when the spec traces instructions, none of the traced ones may be at CPL 0
 * inside it. A kernel that jumps or calls into user code at CPL 0 is otherwise
 * seen only through the trace or where it stops, so trace instructions in
 * tests that rely on this check.
 */
export function userNeverAtCpl0(range: AddressRange): Check {
  const from = range.from >>> 0;
  const to = (range.to ?? 0xffffffff) >>> 0;
  const inside = (eip: number) => (eip >>> 0) >= from && (eip >>> 0) <= to;
  return {
    negative: true,
    name: `no ring-0 instruction runs in user memory ${hex(from)}-${hex(to)}`,
    role: { cause: true },
    evaluate(run) {
      const expected = `every ring-0 instruction outside ${hex(from)}-${hex(to)}`;
      for (const e of run.events) {
        if ((e.type === 'interrupt' || e.type === 'iret' || e.type === 'far-call' || e.type === 'far-return' || e.type === 'sysenter' || e.type === 'task-switch') && e.toCpl === 0 && inside(e.toEip)) {
          return fail(expected, `at instruction ${e.icount} a ${e.type} entered ring 0 at ${hex(e.toCs, 4)}:${hex(e.toEip)}`, run.locate(e));
        }
        // An interrupt taken in ring 0 shows where ring-0 code was running: the instruction it interrupted or that raised it.
        if (e.type === 'interrupt' && e.fromCpl === 0 && inside(e.fromEip)) {
          const what = e.kind === 'software' ? `INT ${hex(e.vector, 2)}` : e.kind === 'external' ? `device interrupt vector ${hex(e.vector, 2)}` : `exception ${e.vector}`;
          return fail(expected, `at instruction ${e.icount} ${what} came from ring 0 code at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}, in user memory`, run.locate(e));
        }
      }
      for (const t of run.inspect.recentInstructions()) {
        if (t.cpl === 0 && inside(t.eip)) {
          return fail(expected, `instruction ${t.icount} ran in ring 0 at ${hex(t.eip)}: ${t.text}`, {
            icount: t.icount, cs: run.inspect.registers().cs, eip: t.eip, instruction: t.text,
          });
        }
      }
      const regs = run.inspect.registers();
      if (regs.cpl === 0 && inside(regs.eip)) {
        return fail(expected, `the run stopped in ring 0 at ${hex(regs.eip)}`, endWhere(run));
      }
      return PASS;
    },
  };
}
