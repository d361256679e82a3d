// Checks shared by lab 2's public and hidden tests. The line formats they
// parse are documented in the handout ("What the tests read"); keep the two
// in step. This folder is not scanned for tests: only files directly in
// tests/ are specs.

import { check, hex, quote } from '../../../../grader/api/checks.ts';
import type { InterruptEvent } from '../../../../engine/events.ts';
import type { Check, CheckOutcome, TestRun } from '../../../../grader/api/spec.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

export const T_IRQ0 = 0x20;
export const T_SYSCALL = 0x80;
const KCODE_SEL = 0x08;

/** The names the handout's table gives vectors 0-19, as the trap line prints them. */
export const EXCEPTION_NAMES: Record<number, string> = {
  0: '#DE divide error', 1: '#DB debug', 2: 'NMI non-maskable interrupt', 3: '#BP breakpoint',
  4: '#OF overflow', 5: '#BR bound range exceeded', 6: '#UD invalid opcode', 7: '#NM device not available',
  8: '#DF double fault', 9: 'coprocessor segment overrun', 10: '#TS invalid TSS', 11: '#NP segment not present',
  12: '#SS stack-segment fault', 13: '#GP general protection', 14: '#PF page fault', 15: 'reserved',
  16: '#MF x87 floating-point error', 17: '#AC alignment check', 18: '#MC machine check',
  19: '#XM SIMD floating-point exception',
};

const SELECTOR_ERROR = new Set([10, 11, 12, 13]);

/** The trap line the handout specifies for an exception the CPU delivered as `e`. */
export function trapLine(e: InterruptEvent): string {
  const v = e.vector;
  const err = e.errorCode >>> 0;
  let middle = '';
  if (SELECTOR_ERROR.has(v)) {
    const table = err & 2 ? 'IDT' : err & 4 ? 'LDT' : 'GDT';
    middle = `err ${hex(err)} (index=${err >>> 3} table=${table} ext=${err & 1}) `;
  } else if (v === 14) {
    middle = `err ${hex(err)} (P=${err & 1} W=${(err >> 1) & 1} U=${(err >> 2) & 1}) cr2 ${hex(e.cr2 ?? 0)} `;
  } else if (v === 8 || v === 17) {
    middle = `err ${hex(err)} `;
  }
  return `trap ${v} ${EXCEPTION_NAMES[v] ?? 'reserved'}: ${middle}at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}`;
}

const TRAP_LINES = /^trap \d+ .*$/gm;

export interface TrapExpectation {
  vector: number;
  /** The exact error code the CPU must have pushed (checked against the event stream too). */
  errorCode?: number;
  cr2?: number;
  /** The saved EIP points after the instruction (a trap: #BP, #OF), which is this one. */
  after?: RegExp;
  /** The saved EIP points at the faulting instruction, which is this one. */
  at?: RegExp;
}

function firstException(run: TestRun, vector: number): InterruptEvent | undefined {
  return run.events.find((e): e is InterruptEvent => e.type === 'interrupt' && e.kind !== 'external' && e.vector === vector);
}

/**
 * The scenario raised exception `vector` (seen in the event stream, with the
 * expected error code and CR2), the kernel printed exactly the handout's trap
 * line for it (vector, name, error code decoded, CS:EIP as the CPU pushed
 * them), and then panicked: it did not return to the faulting code.
 */
export function trapReported(want: TrapExpectation): Check {
  const name = EXCEPTION_NAMES[want.vector];
  return check(`exception ${want.vector} (${name}) is reported on one trap line with its error code and CS:EIP, then the kernel panics`, (run) => {
    const e = firstException(run, want.vector);
    if (!e) {
      const other = run.events.find((x): x is InterruptEvent => x.type === 'interrupt' && x.kind !== 'external');
      if (other) return fail(`the scenario raises exception ${want.vector} (${name})`, `the first exception was vector ${other.vector} at ${hex(other.fromCs, 4)}:${hex(other.fromEip)}`);
      const lidt = run.events.some((x) => x.type === 'table-load' && x.table === 'idt');
      return fail(`the scenario raises exception ${want.vector} (${name})`, `no exception was delivered${lidt ? '' : ', and no IDT was ever loaded with LIDT'}; the run ended by ${run.result.reason}`);
    }
    if (want.errorCode !== undefined && e.errorCode >>> 0 !== want.errorCode) {
      return fail(`the CPU pushes error code ${hex(want.errorCode)}`, `it pushed ${e.errorCode < 0 ? 'none' : hex(e.errorCode)}`);
    }
    if (want.cr2 !== undefined && (e.cr2 ?? 0) >>> 0 !== want.cr2) return fail(`CR2 = ${hex(want.cr2)} at the fault`, `CR2 = ${hex(e.cr2 ?? 0)}`);
    if (want.at) {
      const insn = run.instructionAt(e.fromEip) ?? '';
      if (!want.at.test(insn)) return fail(`the saved EIP at the faulting instruction (${want.at})`, `${hex(e.fromEip)} holds ${quote(insn)}`);
    }
    if (want.after) {
      const insn = run.instructionAt(e.fromEip - 1) ?? '';
      if (!want.after.test(insn)) return fail(`the saved EIP just after the trapping instruction (${want.after})`, `${hex(e.fromEip - 1)} holds ${quote(insn)}`);
    }
    const line = trapLine(e);
    const seen = run.serial.match(TRAP_LINES) ?? [];
    const [first, second] = seen;
    if (first === undefined) return fail(`the line ${quote(line, 160)}`, 'no line starting "trap "');
    if (first !== line) return fail(`the line ${quote(line, 160)}`, `the first trap line is ${quote(first, 160)}`);
    if (second !== undefined) return fail('one trap line (the kernel stops after the first exception)', `also ${quote(second, 160)}`);
    const after = run.serial.slice(run.serial.indexOf(line) + line.length);
    if (!/^\npanic: .*\n/.test(after)) return fail('a "panic: ..." line right after the trap line', `after it: ${quote(after)}`);
    if (/lab2: ok/.test(run.serial)) return fail('the kernel stops at the panic', 'it printed "lab2: ok" after the exception');
    return PASS;
  });
}

/** 256 present 32-bit interrupt gates into the kernel's code segment, each at an entry stub, 0x80 with DPL 3. */
export function idtInstalled(): Check {
  return check('the IDT holds 256 present 32-bit interrupt gates to entry stubs in the kernel code segment (0x08), 0x80 with DPL 3', (run) => {
    const gates = run.inspect.idt();
    if (gates.length === 0) return fail('an IDT loaded with LIDT', 'the IDT is empty (limit 0 or never loaded)');
    if (gates.length < 256) return fail('256 gates (IDT limit 0x7ff)', `the IDT has ${gates.length} gate(s)`);
    const stubs = new Set<number>();
    for (const g of gates.slice(0, 256)) {
      const what = `gate ${hex(g.vector, 2)}`;
      if (!g.present) return fail(`${what} present`, `${what} is not present (raw ${hex(g.raw[1])}:${hex(g.raw[0])})`);
      if (g.kind !== 'interrupt') return fail(`${what} a 32-bit interrupt gate (type 0xE)`, `${what} is a ${g.kind} gate`);
      if (g.selector !== KCODE_SEL) return fail(`${what} into selector 0x0008 (kernel code)`, `selector ${hex(g.selector, 4)}`);
      const insn = run.instructionAt(g.offset) ?? '';
      if (!/^push/.test(insn)) return fail(`${what} at an entry stub (which starts with a push)`, `offset ${hex(g.offset)} holds ${quote(insn)}`);
      stubs.add(g.offset);
    }
    if (stubs.size !== 256) return fail('a stub of its own for every vector (the stub tells trap() the vector)', `only ${stubs.size} distinct handler addresses`);
    const g80 = gates[T_SYSCALL];
    if (g80 !== undefined && g80.dpl !== 3) return fail('gate 0x80 with DPL 3 (ring 3 makes system calls through it from lab 3 on)', `gate 0x80 has DPL ${g80.dpl}`);
    return PASS;
  });
}

function externals(run: TestRun): InterruptEvent[] {
  return run.events.filter((e): e is InterruptEvent => e.type === 'interrupt' && e.kind === 'external');
}

/** Timer interrupts arrived on vector 0x20 (the PIC was remapped), at least `n` of them, and no device interrupt came on another vector. */
export function timerOnVector0x20(n: number): Check {
  return check(`at least ${n} timer interrupts arrive on vector 0x20 (IRQ 0 after the remap), and no device interrupt on another vector`, (run) => {
    const ext = externals(run);
    const stray = ext.find((e) => e.vector !== T_IRQ0);
    if (stray) {
      const why = stray.vector < 0x20 ? ' (the PIC still delivers on its reset vectors: send ICW1-ICW4 with ICW2 = 0x20 and 0x28)' : '';
      return fail('device interrupts on vector 0x20 only (IRQ 0: the only input unmasked)', `at instruction ${stray.icount} a device interrupt arrived on vector ${hex(stray.vector, 2)}${why}`);
    }
    const timer = ext.filter((e) => e.vector === T_IRQ0);
    if (timer.length < n) {
      // The PIC at the end says why no more came: IRQ 0 still in service (no EOI) or masked.
      const pic = run.inspect.pic().master;
      const hint = (pic.isr & 1) !== 0 ? ': IRQ 0 is still in service at the PIC at the end, so no EOI was sent for the last one'
        : (pic.imr & 1) !== 0 ? ': IRQ 0 is masked at the PIC at the end' : '';
      return fail(`${n} or more interrupts on vector 0x20`, `${timer.length}${hint}`);
    }
    return PASS;
  });
}

/** One "ticks: N" line, printed after N timer interrupts arrived. */
export function ticksPrinted(n: number): Check {
  return check(`"ticks: ${n}" is printed after waiting for ${n} timer interrupts`, (run) => {
    const lines = run.serial.match(/^ticks: .*$/gm) ?? [];
    if (lines.length !== 1 || lines[0] !== `ticks: ${n}`) {
      return fail(`one line "ticks: ${n}"`, lines.length === 0 ? `no "ticks:" line; serial ends with ${quote(run.serial.slice(-120))}` : lines.map((l) => quote(l)).join(', '));
    }
    const count = externals(run).filter((e) => e.vector === T_IRQ0).length;
    if (count < n) return fail(`${n} timer interrupts before "ticks: ${n}"`, `only ${count} arrived`);
    return PASS;
  });
}

/**
 * Channel 0 of the PIT was programmed for 100 Hz: a control word for
 * channel 0, low byte then high byte, mode 2 or 3, then a count of 11932
 * (1193182 / 100, rounded; 11931 is accepted too) to port 0x40. Needs
 * the spec's recordPortEvents.
 */
export function pitAt100Hz(): Check {
  return check("the PIT's channel 0 runs in mode 2 or 3 with count 11932 (100 Hz)", (run) => {
    const writes = run.events.filter((e) => e.type === 'port' && e.write && (e.port === 0x43 || e.port === 0x40));
    let last: string | undefined;
    for (const [i, w] of writes.entries()) {
      if (w.type !== 'port' || w.port !== 0x43 || (w.value & 0xc0) !== 0) continue;
      const access = (w.value >> 4) & 3;
      const mode = (w.value >> 1) & 7;
      const next = writes.slice(i + 1, i + 3);
      const lo = next[0], hi = next[1];
      if (access !== 3 || lo?.type !== 'port' || hi?.type !== 'port' || lo.port !== 0x40 || hi.port !== 0x40) {
        last = `control word ${hex(w.value, 2)} (access ${access}) not followed by a low and a high byte to port 0x40`;
        continue;
      }
      const count = (lo.value & 0xff) | ((hi.value & 0xff) << 8);
      if (mode !== 2 && mode !== 3 && mode !== 6 && mode !== 7) {
        last = `mode ${mode}`;
        continue;
      }
      if (count !== 11932 && count !== 11931) {
        last = `count ${count} (${(1193182 / (count || 65536)).toFixed(1)} Hz)`;
        continue;
      }
      return PASS;
    }
    return fail('OUT 0x43 (channel 0, lobyte/hibyte, mode 2 or 3), then 11932 to port 0x40, low byte first', last ?? 'channel 0 was never programmed');
  });
}
