// The checks test authors reach for first: serial output, how the run ended,
// and properties of the kernel's protection set-up read from the stopped
// machine and its event stream. Each failure says what was expected, what was
// seen and, when the check can tell, where in the guest.

import type { StopReason } from '../../engine/config.ts';
import { IF } from '../../engine/cpu/flags.ts';
import type { EngineEvent, InterruptEvent, PrivilegeChangeEvent } from '../../engine/events.ts';
import type { Translation } from '../../engine/inspect/page-walk.ts';
import { CR0_PG } from '../../engine/memory/paging.ts';
import { vectorName } from '../../engine/cpu/exceptions.ts';
import type { GuestLocation, RunEnd } from '../model.ts';
import { firstLine } from '../messages.ts';
import type { Check, CheckOutcome, TestRun } from './spec.ts';

const PASS: CheckOutcome = { passed: true };

function fail(expected: string, observed: string, where?: GuestLocation): CheckOutcome {
  return { passed: false, expected, observed, ...(where ? { where } : {}) };
}

export function hex(v: number, digits = 8): string {
  return '0x' + (v >>> 0).toString(16).padStart(digits, '0');
}

/** A guest string shown in a message: quoted, escaped, and cut short. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  return JSON.stringify(cut) + (text.length > max ? `… (${text.length} chars)` : '');
}

/** The end of the serial output, which usually shows what the kernel was doing last. */
function serialTail(run: TestRun, max = 120): string {
  if (run.serial.length === 0) return 'no serial output at all';
  const tail = run.serial.length > max ? '…' + run.serial.slice(-max) : run.serial;
  return `serial output ends with ${JSON.stringify(tail)}${run.serialTruncated ? ' (recording truncated)' : ''}`;
}

/** A test's own text or pattern, in full: what a test expects is never cut. */
function describePattern(p: string | RegExp): string {
  return typeof p === 'string' ? JSON.stringify(p) : String(p);
}

/**
 * The output that stood where an expected item should have been: from `from`
 * on, as many whole lines as the item spans (at least one with something on
 * it), quoted; a hostile kernel's endless line is cut, and the cut says so.
 */
function textInPlace(run: TestRun, from: number, item: string | RegExp): string {
  if (run.serial.slice(from).trim() === '') return `nothing more: the output ends there (the run ended by ${run.result.reason})`;
  const source = typeof item === 'string' ? item : item.source.replace(/\\n/g, '\n');
  let lines = Math.max(1, source.split('\n').length - (source.endsWith('\n') ? 1 : 0));
  let end = from;
  for (; lines > 0 && end < run.serial.length; lines--) {
    const next = run.serial.indexOf('\n', end);
    end = next < 0 ? run.serial.length : next + 1;
    // A line with nothing on it (the rest of the previous item's line) does not count.
    if (run.serial.slice(from, end).trim() === '') lines++;
  }
  return quote(run.serial.slice(from, end), 160);
}

/** Where the run ended, for failures whose cause is "the run stopped too soon". */
function endWhere(run: TestRun): GuestLocation {
  return run.endLocation();
}

function endSummary(run: TestRun): string {
  const status = run.result.exitStatus !== undefined ? ` (status ${run.result.exitStatus})` : '';
  return `run ended by ${run.result.reason}${status}: ${firstLine(run.result.message)}`;
}

// ---- serial output -----------------------------------------------------------

export function serialContains(text: string): Check {
  return {
    name: `serial output contains ${quote(text)}`,
    serialPatterns: [text],
    evaluate(run) {
      if (run.serial.includes(text)) return PASS;
      return fail(`the text ${quote(text)} somewhere in the serial output`, `${serialTail(run)}; ${endSummary(run)}`, endWhere(run));
    },
  };
}

export function serialMatches(pattern: RegExp): Check {
  return {
    name: `serial output matches ${pattern}`,
    serialPatterns: [pattern],
    evaluate(run) {
      // A copy without the g/y flags: lastIndex state must not leak from one run to the next.
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      if (re.test(run.serial)) return PASS;
      return fail(`serial output matching ${pattern}`, `${serialTail(run)}; ${endSummary(run)}`, endWhere(run));
    },
  };
}

/** Every item appears, each one after the end of the previous one's match. */
export function serialInOrder(items: (string | RegExp)[]): Check {
  return {
    name: `serial output contains, in order: ${items.map((i) => describePattern(i)).join(', ')}`,
    serialPatterns: [...items],
    evaluate(run) {
      let from = 0;
      let previousItem: string | RegExp | undefined;
      for (const [k, item] of items.entries()) {
        let at = -1;
        let length = 0;
        if (typeof item === 'string') {
          at = run.serial.indexOf(item, from);
          length = item.length;
        } else {
          const re = new RegExp(item.source, item.flags.replace(/[gy]/g, '') + 'g');
          re.lastIndex = from;
          const m = re.exec(run.serial);
          if (m) {
            at = m.index;
            length = m[0].length;
          }
        }
        if (at < 0) {
          const previous = previousItem === undefined ? '' : describePattern(previousItem);
          const anywhere = typeof item === 'string' ? run.serial.includes(item) : new RegExp(item.source, item.flags.replace(/[gy]/g, '')).test(run.serial);
          const what = anywhere ? `${describePattern(item)} appears, but not after ${previous}` : `${describePattern(item)} never appears`;
          // What the kernel printed instead is the best clue; before the first item there is no "instead", only the end.
          const observed = k === 0 ? `${what}; ${serialTail(run)}` : `${what}; after ${previous} the output has ${textInPlace(run, from, item)}`;
          return fail(`${describePattern(item)}${k === 0 ? '' : ` after ${previous}`} (item ${k + 1} of ${items.length})`, observed, endWhere(run));
        }
        from = at + Math.max(length, 0);
        previousItem = item;
      }
      return PASS;
    },
  };
}

/** No line of the output matches `pattern` (default: the word "panic"). */
export function noPanic(pattern: RegExp = /panic/i): Check {
  return {
    negative: true,
    name: `no kernel panic (no output line matches ${pattern})`,
    role: { forbidsPanic: pattern },
    evaluate(run) {
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      const m = re.exec(run.serial);
      if (!m) return PASS;
      const lineStart = run.serial.lastIndexOf('\n', m.index) + 1;
      const lineEnd = run.serial.indexOf('\n', m.index);
      const line = run.serial.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
      const icount = run.serialIcount(m.index);
      return fail(
        `no output line matching ${pattern}`,
        `the kernel printed ${quote(line, 160)}${icount !== undefined ? ` around instruction ${icount}` : ''}`,
      );
    },
  };
}

// ---- how the run ended -------------------------------------------------------------

/** The guest wrote `code` to the isa-debug-exit port (the engine reports (code << 1) | 1, as QEMU exits). */
export function exitedWith(code: number): Check {
  const status = ((code << 1) | 1) >>> 0;
  return {
    name: `the kernel exits through isa-debug-exit with code ${code}`,
    evaluate(run) {
      if (run.result.reason === 'debug-exit' && run.result.exitStatus === status) return PASS;
      const observed = run.result.reason === 'debug-exit' && run.result.exitStatus !== undefined
        ? `it exited with code ${run.result.exitStatus >>> 1} (status ${run.result.exitStatus})`
        : endSummary(run);
      return fail(`debug-exit with code ${code} (status ${status})`, observed, endWhere(run));
    },
  };
}

export function endedBy(reason: StopReason | RunEnd): Check {
  return {
    name: `the run ends by ${reason}`,
    evaluate(run) {
      if (run.result.reason === reason) return PASS;
      return fail(`the run to end by ${reason}`, endSummary(run), endWhere(run));
    },
  };
}

export function noTripleFault(): Check {
  return {
    negative: true,
    name: 'no triple fault',
    evaluate(run) {
      if (run.result.reason !== 'triple-fault') return PASS;
      return fail('the kernel handles its exceptions (no triple fault)', firstLine(run.result.message), endWhere(run));
    },
  };
}

/**
 * The CPU raised no exception in ring 0: the kernel checked every pointer a
 * system call handed it before using it, rather than faulting on one. Read
 * from the events, so a kernel whose fault handler prints nothing is caught
 * too. Not for labs that make the kernel fault on purpose (lab 2).
 */
export function noKernelException(): Check {
  return {
    negative: true,
    name: 'the kernel itself raises no exception (no fault in ring 0)',
    role: { cause: true },
    evaluate(run) {
      const e = run.events.find((x): x is InterruptEvent => x.type === 'interrupt' && x.kind === 'exception' && x.fromCpl === 0);
      if (e === undefined) return PASS;
      const why = e.detail !== undefined ? `: ${e.detail}` : '';
      const cr2 = e.vector === 14 && e.cr2 !== undefined ? ` (CR2 ${hex(e.cr2)})` : '';
      return fail('no exception raised in ring 0', `${vectorName(e.vector)} in ring 0 at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}${cr2} at instruction ${e.icount}${why}`, run.locate(e));
    },
  };
}

// ---- processes and faults -------------------------------------------------------

function isCpl3Exception(e: EngineEvent, vector?: number): e is InterruptEvent {
  return e.type === 'interrupt' && e.kind === 'exception' && e.fromCpl === 3 && (vector === undefined || e.vector === vector);
}

export interface ProcessKilledOptions {
  pid?: number;
  vector: number;
  /** The kernel's line; group 1 is the pid, group 2 the vector (decimal or 0x hex). */
  line?: RegExp;
}

/** The documented kernel line reporting a killed process: "killed pid 3: ... vector 14". */
export const KILLED_LINE = /killed pid (\d+):.*vector (0x[0-9a-f]+|\d+)/i;

/**
 * The kernel reported killing a process for exception `vector` (and pid, when
 * given), and the event stream shows that exception raised in ring 3.
 */
export function processKilled(opts: ProcessKilledOptions): Check {
  const line = opts.line ?? KILLED_LINE;
  const who = opts.pid !== undefined ? `pid ${opts.pid}` : 'a process';
  return {
    name: `the kernel kills ${who} for exception vector ${opts.vector}`,
    role: { provokes: [opts.vector] },
    evaluate(run) {
      const re = new RegExp(line.source, line.flags.replace(/[gy]/g, '') + 'g');
      const seen: string[] = [];
      let found = false;
      for (const m of run.serial.matchAll(re)) {
        const pid = Number(m[1]);
        const vector = Number(m[2]);
        seen.push(m[0]);
        if (vector === opts.vector && (opts.pid === undefined || pid === opts.pid)) found = true;
      }
      const fault = run.events.find((e) => isCpl3Exception(e, opts.vector));
      if (!fault) {
        return fail(
          `exception vector ${opts.vector} raised in ring 3`,
          `no such exception happened in ring 3; ${endSummary(run)}`,
          endWhere(run),
        );
      }
      if (found) return PASS;
      return fail(
        `a line matching ${line} for ${who} and vector ${opts.vector}`,
        seen.length > 0 ? `the kernel printed ${seen.slice(0, 3).map((s) => quote(s)).join(', ')}` : `no such line; ${serialTail(run)}`,
        run.locate(fault),
      );
    },
  };
}

export interface NoRing3AfterFaultOptions {
  /** Exception vectors that must kill the process (default: every exception). */
  vectors?: number[];
  /**
   * 'same-eip' (default): after the fault, the kernel never returns to ring 3
   * at the faulting CS:EIP under the same CR3. 'same-cr3': it never returns to
   * ring 3 under the faulting CR3 at all (for kernels where each process has
   * its own page directory and a killed process's directory is not reused).
   */
  mode?: 'same-eip' | 'same-cr3';
}

/**
 * "No ring-3 instruction of the faulting process runs after the fault",
 * approximated from events, which see every entry to ring 3 (IRET, SYSEXIT,
 * far return): for each exception raised at CPL 3, no later transition to
 * CPL 3 may land on the faulting CS:EIP with the CR3 the fault happened under
 * (mode 'same-eip'), or on anything under that CR3 (mode 'same-cr3'). CR3 is
 * tracked through CR3 writes. A kernel that "recovers" by skipping the
 * faulting instruction is not caught in 'same-eip' mode; use 'same-cr3' when
 * processes have their own page directories. With events dropped (over
 * EVENT_LIMIT), only the recorded part of the run is judged.
 */
export function noRing3AfterFault(opts: NoRing3AfterFaultOptions = {}): Check {
  const mode = opts.mode ?? 'same-eip';
  const vectors = opts.vectors ? new Set(opts.vectors) : null;
  return {
    negative: true,
    name: mode === 'same-eip'
      ? 'a process that faults in ring 3 is never resumed at the faulting instruction'
      : 'a process that faults in ring 3 never runs in ring 3 again',
    role: { cause: true },
    evaluate(run) {
      let cr3 = 0;
      const faults: { event: InterruptEvent; cr3: number }[] = [];
      for (const e of run.events) {
        if (e.type === 'cr-write' && e.cr === 3) cr3 = e.value >>> 0;
        else if (e.type === 'interrupt' && isCpl3Exception(e) && (vectors === null || vectors.has(e.vector))) {
          faults.push({ event: e, cr3 });
        } else if ((e.type === 'iret' || e.type === 'sysexit' || e.type === 'far-return' || e.type === 'task-switch') && e.toCpl === 3) {
          for (const f of faults) {
            const sameSpace = (f.cr3 & ~0xfff) === (cr3 & ~0xfff);
            const hit = mode === 'same-cr3' ? sameSpace : sameSpace && f.event.fromEip === e.toEip && (f.event.fromCs & 0xfffc) === (e.toCs & 0xfffc);
            if (!hit) continue;
            const what = `${hex(f.event.fromCs, 4)}:${hex(f.event.fromEip)}`;
            return fail(
              mode === 'same-cr3'
                ? `after exception ${f.event.vector} at ${what} (CR3 ${hex(cr3)}), no return to ring 3 under that CR3`
                : `after exception ${f.event.vector} at ${what}, the process is not resumed there`,
              `at instruction ${e.icount} the kernel returned to ring 3 at ${hex(e.toCs, 4)}:${hex(e.toEip)} by ${e.type} (the fault was at instruction ${f.event.icount})`,
              run.locate(e),
            );
          }
        }
      }
      return PASS;
    },
  };
}

// ---- protection set-up ------------------------------------------------------------

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

// ---- entering and leaving ring 3 ---------------------------------------------------

/** The events that put the CPU in ring 3: IRET, SYSEXIT, far returns and task switches to CPL 3. */
function ring3Entries(run: TestRun): PrivilegeChangeEvent[] {
  return run.events.filter(isRing3Entry);
}

/**
 * Each event with the page directory in CR3 when it happened (without CR3's
 * flag bits; -1 before the first CR3 write): the one place that tracks CR3
 * through the events, for every check that asks which address space
 * something happened in.
 */
function* withDirectory(run: TestRun): Generator<{ event: EngineEvent; cr3: number }> {
  let cr3 = -1;
  for (const event of run.events) {
    if (event.type === 'cr-write' && event.cr === 3) cr3 = (event.value & ~0xfff) >>> 0;
    yield { event, cr3 };
  }
}

function isRing3Entry(e: EngineEvent): e is PrivilegeChangeEvent {
  return (e.type === 'iret' || e.type === 'sysexit' || e.type === 'far-return' || e.type === 'task-switch') && e.toCpl === 3;
}

/**
 * The page directories in CR3 when the CPU entered ring 3, in the order they
 * were first used (entries before any CR3 write ran without a directory of
 * the kernel's and name none).
 */
export function ring3Directories(run: TestRun): number[] {
  const dirs = new Set<number>();
  for (const { event, cr3 } of withDirectory(run)) if (isRing3Entry(event) && cr3 !== -1) dirs.add(cr3);
  return [...dirs];
}

/**
 * Every entry to ring 3 leaves EFLAGS.IF = 1, so the timer can take the CPU
 * back from a program that never makes a system call. Read from the EFLAGS
 * each IRET and SYSEXIT event records as the return left them: IF cannot be
 * inferred from what happens later, since a kernel that returns with IF = 0
 * simply receives no interrupt in ring 3, which looks the same as a quiet
 * device. SYSEXIT does not change EFLAGS, so after SYSENTER (which clears IF)
 * the kernel must STI first.
 */
export function ring3EntriesEnableInterrupts(): Check {
  return {
    name: 'every entry to ring 3 (IRET, SYSEXIT) leaves interrupts enabled (EFLAGS.IF = 1)',
    role: { cause: true },
    evaluate(run) {
      const expected = 'EFLAGS.IF = 1 after every entry to ring 3, so the timer can take the CPU back';
      const entries = ring3Entries(run);
      if (entries.length === 0) return fail(expected, `the CPU never entered ring 3; ${endSummary(run)}`, endWhere(run));
      const off = entries.filter((e) => (e.eflags & IF) === 0);
      const [first] = off;
      if (first === undefined) return PASS;
      const count = off.length > 1 ? ` (${off.length} of ${entries.length} entries to ring 3 did so)` : '';
      return fail(
        expected,
        `at instruction ${first.icount} ${first.type === 'iret' ? 'IRET' : first.type === 'sysexit' ? 'SYSEXIT' : 'a far return'} entered ring 3 at ${hex(first.toCs, 4)}:${hex(first.toEip)} with EFLAGS ${hex(first.eflags)}: IF = 0${count}`,
        run.locate(first),
      );
    },
  };
}

/**
 * Every entry to ring 3 (IRET, SYSEXIT) leaves IOPL 0, so ring 3 can neither
 * do port I/O nor turn interrupts off (IN, OUT, CLI and STI are #GP there,
 * SDM 6.8.1). Read from the EFLAGS each return event carries.
 */
export function ring3EntriesIopl0(): Check {
  return {
    name: 'every entry to ring 3 (IRET, SYSEXIT) leaves IOPL 0',
    role: { cause: true },
    evaluate(run) {
      const entries = ring3Entries(run);
      if (entries.length === 0) return fail('IOPL 0 at every entry to ring 3', `the CPU never entered ring 3; ${endSummary(run)}`, endWhere(run));
      const bad = entries.find((e) => ((e.eflags >>> 12) & 3) !== 0);
      if (bad === undefined) return PASS;
      return fail('IOPL 0 in ring 3', `at instruction ${bad.icount} the return to ring 3 left EFLAGS ${hex(bad.eflags)} (IOPL ${(bad.eflags >>> 12) & 3})`, run.locate(bad));
    },
  };
}

/** A trap from ring 3 (any interrupt event from CPL 3), with the directory in CR3 when it came. */
export interface Ring3Trap {
  event: InterruptEvent;
  /** CR3 without its flag bits; -1 before any CR3 write. */
  cr3: number;
}

/** Every interrupt or exception that came from ring 3, with the CR3 it found, in order. */
export function ring3Traps(run: TestRun): Ring3Trap[] {
  const traps: Ring3Trap[] = [];
  for (const { event, cr3 } of withDirectory(run)) if (event.type === 'interrupt' && event.fromCpl === 3) traps.push({ event, cr3 });
  return traps;
}

/**
 * The timer took the CPU from one address space and gave it to another at
 * least `times` times: consecutive timer interrupts (vector `vector`, IRQ 0
 * after the usual PIC remap) that arrived in ring 3 found different
 * directories in CR3. A kernel that never preempts passes every other check
 * of a test whose processes would finish on their own; this one it fails.
 */
export function timerPreempts(times: number, vector = 0x20): Check {
  return {
    name: `the timer switched between processes in ring 3 at least ${times} times`,
    evaluate(run) {
      const ticks = ring3Traps(run).filter((t) => t.event.kind === 'external' && t.event.vector === vector);
      const switches = ticks.filter((t, i) => i > 0 && t.cr3 !== ticks[i - 1]!.cr3).length;
      return switches >= times ? PASS : fail(`at least ${times} switches between timer ticks in ring 3`, `${switches} in ${ticks.length} ring-3 ticks`, endWhere(run));
    },
  };
}

/**
 * Directory entries 768-1023 (the kernel's top gigabyte) are the same in
 * every page directory loaded into CR3 from the first entry to ring 3 on, as
 * each was at its load (run.directoryLoads), so every process shares one set
 * of kernel page tables (not copies, which drift apart), and no present one is
 * user-accessible. Reading each directory when it was loaded, not at the end,
 * judges processes that have ended and whose frames went to others. At least
 * `directories` distinct directories must have run ring 3 (1 by default; 2 or
 * more for a kernel with an address space per process, or the comparison
 * compares nothing).
 */
export function kernelHalfIdentical(opts: { directories?: number } = {}): Check {
  const least = opts.directories ?? 1;
  return {
    name: 'entries 768-1023 are the same at every CR3 load once ring 3 has run, and none is user-accessible',
    role: { cause: true },
    evaluate(run) {
      const dirs = ring3Directories(run);
      const firstEntry = ring3Entries(run)[0];
      if (firstEntry === undefined || dirs.length < least) {
        const seen = dirs.length === 0 ? (firstEntry === undefined ? 'the CPU never entered ring 3' : 'ring 3 ran with no page directory loaded (no CR3 write before it)') : `${dirs.length}: ${dirs.map((d) => hex(d)).join(', ')}`;
        return fail(`at least ${least} page director${least === 1 ? 'y' : 'ies'} in CR3 while ring 3 ran`, seen, endWhere(run));
      }
      const before = run.directoryLoads.filter((l) => l.icount <= firstEntry.icount).length;
      const loads = run.directoryLoads.slice(Math.max(0, before - 1));
      const [reference] = loads;
      if (reference === undefined) return fail('a CR3 load before ring 3 ran', 'none recorded', endWhere(run));
      for (const load of loads) {
        for (const [i, pde] of load.kernelHalf.entries()) {
          const want = reference.kernelHalf[i];
          if (want === undefined || pde.raw !== want.raw) {
            return fail(
              `entry ${pde.index} of the directory at ${hex(load.directory)} equal to that of ${hex(reference.directory)}${want ? ` (${hex(want.raw)})` : ''}`,
              `${hex(pde.raw)} when CR3 loaded it at instruction ${load.icount}: the kernel half is not shared (a copy, or a mapping added to one directory only)`,
            );
          }
          if (pde.present && pde.user) {
            return fail(`entry ${pde.index} of the directory at ${hex(load.directory)} supervisor-only (U/S = 0)`, `${hex(pde.raw)} has U/S = 1: ring 3 may reach kernel memory at ${hex(pde.index << 22)}`);
          }
        }
      }
      return PASS;
    },
  };
}

/**
 * Where the kernel stack of the process running at an entry from ring 3 lies
 * (`cr3`: its directory, without flag bits; -1 before any CR3 write);
 * undefined when the process has none known.
 */
export type KernelStackOf = (run: TestRun, entry: { trap: InterruptEvent; cr3: number }) => AddressRange | undefined;

/**
 * At every trap from ring 3 (interrupt events from CPL 3 to CPL 0), the frame
 * the CPU pushed, on the stack it took from the TSS's SS0:ESP0, lies wholly
 * inside the kernel stack `stack` names: one range of linear addresses, or a
 * function giving the running process's (from the CR3 at the trap, tracked
 * through CR3 writes). Judged per trap from where the engine says it pushed
 * each frame, not from the TSS at the end: with a kernel stack per process,
 * the TSS at the end shows only the last process's ESP0, and a kernel that
 * forgets to switch ESP0 shows nothing wrong there.
 */
export function tssEsp0InKernelStack(stack: AddressRange | KernelStackOf): Check {
  const fixed = typeof stack === 'function' ? undefined : { from: stack.from >>> 0, to: (stack.to ?? 0xffffffff) >>> 0 };
  const rangeText = (r: { from: number; to: number }) => `${hex(r.from)}-${hex(r.to)}`;
  return {
    name: fixed
      ? `every trap from ring 3 pushes its frame on the kernel stack ${rangeText(fixed)} (TSS ESP0)`
      : "every trap from ring 3 pushes its frame on the running process's kernel stack (TSS ESP0)",
    role: { cause: true },
    evaluate(run) {
      const traps = ring3Traps(run).filter((t) => t.event.toCpl === 0);
      for (const { event: e, cr3 } of traps) {
        const directory = cr3 === -1 ? 'no CR3 loaded' : `CR3 ${hex(cr3)}`;
        const given = fixed ?? (stack as KernelStackOf)(run, { trap: e, cr3 });
        const what = e.kind === 'software' ? `INT ${hex(e.vector, 2)}` : e.kind === 'external' ? `device interrupt ${hex(e.vector, 2)}` : `exception ${e.vector}`;
        if (given === undefined) {
          return fail(`a kernel stack for the process running under ${directory}`, `the test's function names none (at instruction ${e.icount}, ${what})`, run.locate(e));
        }
        const range = { from: given.from >>> 0, to: (given.to ?? 0xffffffff) >>> 0 };
        const last = (e.frameAt + e.frameBytes - 1) >>> 0;
        if (e.frameAt >= range.from && last <= range.to && last >= e.frameAt) continue;
        return fail(
          `the frame of every trap from ring 3 inside the kernel stack ${rangeText(range)}`,
          `at instruction ${e.icount}, ${what} from ${hex(e.fromCs, 4)}:${hex(e.fromEip)} pushed its ${e.frameBytes}-byte frame at ${hex(e.frameAt)}-${hex(last)} (ESP0 ${hex(e.frameAt + e.frameBytes)}, ${directory})`,
          run.locate(e),
        );
      }
      if (traps.length === 0) return fail('traps from ring 3 to judge (system calls, faults or interrupts)', `none came from ring 3; ${endSummary(run)}`, endWhere(run));
      return PASS;
    },
  };
}

/** A check from a plain predicate, for one-off conditions in a spec. */
export function check(name: string, evaluate: (run: TestRun) => CheckOutcome | boolean, points?: number): Check {
  return {
    name,
    ...(points !== undefined ? { points } : {}),
    evaluate(run) {
      const r = evaluate(run);
      return typeof r === 'boolean' ? (r ? PASS : fail(name, 'the condition did not hold')) : r;
    },
  };
}

/** The same check carrying `points` under partial credit. */
/**
 * Marks a check as one that forbids something rather than asks for it (a
 * run that did nothing passes it), so that `lab check-spec` does not ask
 * whether it looks for nothing.
 */
export function forbidding(c: Check): Check {
  return { ...c, negative: true };
}

export function worth(points: number, c: Check): Check {
  return { ...c, points, evaluate: c.evaluate.bind(c) };
}
