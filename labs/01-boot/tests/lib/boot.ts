// Checks shared by lab 1's public and hidden tests. The line formats they
// parse are documented in the handout ("What the tests read"); keep the two
// in step. This folder is not scanned for tests: only files directly in
// tests/ are specs.

import { check, hex, quote } from '../../../../grader/api/checks.ts';
import type { Check, CheckOutcome, TestRun } from '../../../../grader/api/spec.ts';

const PASS: CheckOutcome = { passed: true };
const fail = (expected: string, observed: string): CheckOutcome => ({ passed: false, expected, observed });

const KIB = 1024;
const MIB = 1024 * 1024;

/** One region of the memory map the lab PC's loader reports. */
export interface Region {
  base: number;
  length: number;
  type: number;
}

/**
 * The map engine/boot/multiboot.ts gives a machine with `ramMiB` of RAM:
 * low memory up to the EBDA, the EBDA, the BIOS ROM, and everything from 1 MiB.
 */
export function labPcMemoryMap(ramMiB: number): Region[] {
  return [
    { base: 0, length: 0x9fc00, type: 1 },
    { base: 0x9fc00, length: 0x400, type: 2 },
    { base: 0xf0000, length: 0x10000, type: 2 },
    { base: MIB, length: ramMiB * MIB - MIB, type: 1 },
  ];
}

export function mmapLine(r: Region): string {
  return `mmap: base ${hex(r.base)} length ${hex(r.length)} type ${r.type}`;
}

export function usableKiB(regions: Region[]): number {
  return regions.filter((r) => r.type === 1).reduce((sum, r) => sum + r.length, 0) / KIB;
}

const MMAP_LINE = /^mmap: .*$/gm;

/** The kernel prints exactly the loader's regions, in order, then the usable total. */
export function memoryMapPrinted(ramMiB: number): Check {
  const regions = labPcMemoryMap(ramMiB);
  const want = regions.map(mmapLine);
  const total = `memory: ${usableKiB(regions)} KiB usable`;
  return check(`the memory map of a ${ramMiB} MiB machine is printed region by region, then "${total}"`, (run) => {
    const seen = run.serial.match(MMAP_LINE) ?? [];
    for (const [i, wanted] of want.entries()) {
      const got = seen[i];
      if (got !== wanted) {
        return fail(
          `mmap line ${i + 1} of ${want.length}: ${quote(wanted)}`,
          got === undefined ? `only ${seen.length} mmap line(s) printed` : `line ${i + 1} is ${quote(got)}`,
        );
      }
    }
    const [extra] = seen.slice(want.length);
    if (extra !== undefined) {
      return fail(`exactly ${want.length} mmap lines (the loader gives ${want.length} regions)`, `an extra line ${quote(extra)}`);
    }
    const totals = run.serial.match(/^memory: .*$/gm) ?? [];
    if (totals.length !== 1 || totals[0] !== total) {
      return fail(`one line ${quote(total)} (the sum of the type 1 regions)`, totals.length === 0 ? 'no "memory:" line' : `${totals.map((t) => quote(t)).join(', ')}`);
    }
    return PASS;
  });
}

/** What a test expects of one module: the command line the kernel must print. */
export interface ExpectedModule {
  cmdline: string;
}

const MODULE_LINE = /^module (\d+): start 0x([0-9a-f]{8}) end 0x([0-9a-f]{8}) cmdline "(.*)"$/gm;

function read32(run: TestRun, phys: number): number {
  const b = run.inspect.readPhysical(phys, 4);
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
}

function read16(run: TestRun, phys: number): number {
  const b = run.inspect.readPhysical(phys, 2);
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(0, true);
}

/**
 * "modules: N" then one line per module, in order. The addresses must be where
 * the loader really put each module: we look in guest memory for the ELF file
 * there, and the file's size (section headers come last in ld's output) must
 * be end - start.
 */
export function modulesPrinted(expected: ExpectedModule[]): Check {
  const count = `modules: ${expected.length}`;
  return check(`"${count}" and one line per module with its start, end and command line`, (run) => {
    const counts = run.serial.match(/^modules: .*$/gm) ?? [];
    if (counts.length !== 1 || counts[0] !== count) {
      return fail(`one line ${quote(count)}`, counts.length === 0 ? 'no "modules:" line' : counts.map((c) => quote(c)).join(', '));
    }
    const lines = [...run.serial.matchAll(MODULE_LINE)];
    if (lines.length !== expected.length) {
      const any = run.serial.match(/^module .*$/gm) ?? [];
      return fail(
        `${expected.length} line(s) like 'module 0: start 0x00107000 end 0x0010843c cmdline "hello one two"'`,
        `${lines.length} such line(s)${any.length > lines.length ? `; unmatched: ${quote(any.find((l) => !new RegExp(MODULE_LINE.source).test(l)) ?? any[0] ?? '')}` : ''}`,
      );
    }
    let previousEnd = 0;
    for (const [i, m] of lines.entries()) {
      // MODULE_LINE matched: every group took part.
      const [line, index, startHex = '', endHex = '', cmdline] = m;
      const wantedCmdline = expected[i]?.cmdline;
      const start = parseInt(startHex, 16);
      const end = parseInt(endHex, 16);
      if (Number(index) !== i) return fail(`module lines numbered from 0 in order`, `line ${i + 1} is ${quote(line)}`);
      if (cmdline !== wantedCmdline) return fail(`module ${i}'s command line "${wantedCmdline}"`, quote(line));
      if (start % 4096 !== 0) return fail(`module ${i} starts on a page boundary (the kernel asks for page-aligned modules)`, quote(line));
      if (start < previousEnd) return fail(`module ${i} starts after module ${i - 1} ends`, quote(line));
      if (end + 4 > run.inspect.ramBytes() || start < MIB) return fail(`module ${i}'s start and end inside RAM, above 1 MiB`, quote(line));
      if (read32(run, start) !== 0x464c457f) {
        return fail(`an ELF file at module ${i}'s start ${hex(start)} (the loader's mod_start)`, `memory at ${hex(start)} holds ${hex(read32(run, start))}, not 7f 45 4c 46 ("\\x7fELF"); ${quote(line)}`);
      }
      const size = read32(run, start + 32) + read16(run, start + 46) * read16(run, start + 48);
      if (end - start !== size) {
        return fail(`module ${i}'s end = start + ${size} (the file's size: mod_end is one past its last byte)`, `${quote(line)}: end - start = ${end - start}`);
      }
      previousEnd = end;
    }
    return PASS;
  });
}

interface WantedDescriptor {
  slot: number;
  kind: 'code' | 'data';
  dpl: number;
}

const FLAT: WantedDescriptor[] = [
  { slot: 1, kind: 'code', dpl: 0 },
  { slot: 2, kind: 'data', dpl: 0 },
  { slot: 3, kind: 'code', dpl: 3 },
  { slot: 4, kind: 'data', dpl: 3 },
];
const NAMES = ['null', 'kernel code', 'kernel data', 'user code', 'user data', 'TSS'];

/** The GDT as the CPU sees it at the end of the run: the six descriptors of the handout's table. */
export function gdtLayout(): Check {
  return check('the GDT holds null, kernel code/data (DPL 0), user code/data (DPL 3), flat 4 GiB, and a TSS descriptor in slot 5', (run) => {
    const gdt = run.inspect.gdt();
    const [zero, , , , , t] = gdt;
    if (zero === undefined) return fail('a GDT loaded with LGDT', 'the GDT register has limit 0: no GDT was loaded');
    if (t === undefined) return fail('a GDT of at least 6 descriptors (limit at least 47)', `the GDT has ${gdt.length} descriptor(s)`);
    if (zero.present || zero.raw[0] !== 0 || zero.raw[1] !== 0) return fail('slot 0 all zero (the null descriptor)', `slot 0 is ${hex(zero.raw[1])}:${hex(zero.raw[0])}`);
    for (const want of FLAT) {
      // Slots 1 to 4 lie below slot 5, which the GDT has.
      const d = gdt[want.slot]!;
      const name = `slot ${want.slot} (${NAMES[want.slot]}, selector ${hex(want.slot * 8 + want.dpl, 2)})`;
      const problems: string[] = [];
      if (!d.present) problems.push('not present');
      if (d.kind !== want.kind) problems.push(`a ${d.kind} segment, not ${want.kind}`);
      if (d.dpl !== want.dpl) problems.push(`DPL ${d.dpl}, not ${want.dpl}`);
      if (d.base !== 0) problems.push(`base ${hex(d.base)}, not 0`);
      if (d.limit !== 0xffffffff) problems.push(`limit ${hex(d.limit)}, not 0xffffffff (limit 0xfffff with G = 1)`);
      if (!d.big) problems.push('16-bit (D/B = 0), not 32-bit');
      if (!d.readableOrWritable) problems.push(want.kind === 'code' ? 'not readable' : 'not writable');
      if (d.conforming) problems.push('conforming');
      if (problems.length > 0) return fail(`${name}: present, ${want.kind}, DPL ${want.dpl}, base 0, limit 4 GiB, 32-bit, ${want.kind === 'code' ? 'readable' : 'writable'}`, `${name} is ${problems.join(', ')} (raw ${hex(d.raw[1])}:${hex(d.raw[0])})`);
    }
    if (!t.present || (t.kind !== 'tss-available' && t.kind !== 'tss-busy') || t.dpl !== 0 || t.limit < 0x67) {
      return fail(
        'slot 5: a present 32-bit TSS descriptor (type 9), DPL 0, limit at least 0x67 (104 bytes)',
        `slot 5 is ${t.present ? '' : 'not present, '}${t.kind}, DPL ${t.dpl}, limit ${hex(t.limit)} (raw ${hex(t.raw[1])}:${hex(t.raw[0])})`,
      );
    }
    if (t.base === 0 || t.base + t.limit >= run.inspect.ramBytes()) {
      return fail('the TSS descriptor\'s base is the address of the kernel\'s struct tss', `base ${hex(t.base)}, limit ${hex(t.limit)}`);
    }
    return PASS;
  });
}

/** How many instructions a test that judges the segment reload keeps in its trace. */
export const RELOAD_TRACE = 1 << 17;

const FAR_TRANSFER = /^(ljmp|lcall|lret|iret)/;
const DATA_LOAD = /^(mov\s.*,%ds$|pop\s+%ds$|lds\s)/;

/**
 * CS and DS were loaded from the kernel's own GDT after it was installed:
 * the selectors are the kernel's, a far transfer and a load of DS ran after
 * the last LGDT (when the trace reaches back that far), and the CPU set the
 * accessed bit of both descriptors, which it does when it reads one into a
 * segment register.
 */
export function segmentsReloaded(): Check {
  return check('CS = 0x08 and DS = ES = SS = 0x10, loaded from the new GDT (a far jump for CS, MOV for the others)', (run) => {
    const r = run.inspect.registers();
    const wrong = [['cs', r.cs, 0x08], ['ds', r.ds, 0x10], ['es', r.es, 0x10], ['ss', r.ss, 0x10]].filter(([, v, w]) => v !== w);
    if (wrong.length > 0) {
      return fail('CS = 0x0008, DS = ES = SS = 0x0010 at the end of the run', wrong.map(([n, v]) => `${n} = ${hex(v as number, 4)}`).join(', '));
    }
    const loads = run.events.filter((e) => e.type === 'table-load' && e.table === 'gdt');
    const last = loads.at(-1);
    if (!last) return fail('an LGDT', 'the kernel never executed LGDT');
    const trace = run.inspect.recentInstructions();
    const [oldest] = trace;
    if (oldest !== undefined && oldest.icount <= last.icount) {
      const after = trace.filter((t) => t.icount > last.icount && t.cpl === 0);
      if (!after.some((t) => FAR_TRANSFER.test(t.text))) {
        return fail(
          'a far jump (ljmp $0x08, ...) after LGDT: only a far transfer reloads CS',
          `no far jump, call or return ran after the LGDT at instruction ${last.icount}; CS still holds the loader's segment`,
        );
      }
      if (!after.some((t) => DATA_LOAD.test(t.text))) {
        return fail('a MOV to DS after LGDT', `DS was never reloaded after the LGDT at instruction ${last.icount}`);
      }
    }
    const gdt = run.inspect.gdt();
    for (const slot of [1, 2]) {
      const d = gdt[slot];
      if (d && (d.raw[1] & 0x100) === 0) {
        return fail(
          `the accessed bit of slot ${slot} set by the CPU when it loads ${slot === 1 ? 'CS' : 'DS'} from it`,
          `slot ${slot} (raw ${hex(d.raw[1])}:${hex(d.raw[0])}) was never loaded into a segment register`,
        );
      }
    }
    return PASS;
  });
}

const COM1 = 0x3f8;
const LCR_DLAB = 0x80;

/**
 * serial_init programs COM1 as the handout says, read from the port writes
 * (the spec must set recordPortEvents): with DLAB set, the divisor 3
 * (115200 / 38400 baud) in DLL and DLM; then 8N1 with DLAB clear; IER 0;
 * the FIFOs enabled; DTR, RTS and OUT2 in MCR. The lab PC's UART sends
 * whatever it was told, so only the writes show a UART left unprogrammed.
 */
export function uartProgrammed(): Check {
  return check('serial_init programs COM1: divisor 3 (38400 baud) under DLAB, then 8N1, IER 0, FIFOs on, DTR/RTS/OUT2', (run) => {
    let dlab = false;
    let divisor: number | undefined;
    let lcr: number | undefined;
    let ier: number | undefined;
    let fcr: number | undefined;
    let mcr: number | undefined;
    const latch: [number, number] = [0, 0];
    for (const e of run.events) {
      if (e.type !== 'port' || !e.write || e.port < COM1 || e.port > COM1 + 7) continue;
      const reg = e.port - COM1;
      const v = e.value & 0xff;
      if (reg === 3) {
        if (dlab && (v & LCR_DLAB) === 0) divisor = latch[0] | (latch[1] << 8);
        dlab = (v & LCR_DLAB) !== 0;
        lcr = v;
      } else if (dlab && (reg === 0 || reg === 1)) latch[reg] = v;
      else if (reg === 1) ier = v;
      else if (reg === 2) fcr = v;
      else if (reg === 4) mcr = v;
    }
    if (divisor !== 3) return fail('DLL 3 and DLM 0 written while LCR.DLAB is set, then DLAB cleared', divisor === undefined ? 'no divisor was latched (DLAB set, DLL/DLM written, DLAB cleared)' : `divisor ${divisor}`);
    if (lcr === undefined || (lcr & 0x3f) !== 0x03 || (lcr & LCR_DLAB) !== 0) return fail('LCR 0x03 (8 data bits, no parity, 1 stop bit) at the end', lcr === undefined ? 'LCR never written' : `LCR ${hex(lcr, 2)}`);
    if (ier !== 0) return fail('IER written 0 (no UART interrupts in lab 1)', ier === undefined ? 'IER never written' : `IER ${hex(ier, 2)}`);
    if (fcr === undefined || (fcr & 0x01) === 0) return fail('FCR with bit 0 set (FIFOs enabled)', fcr === undefined ? 'FCR never written' : `FCR ${hex(fcr, 2)}`);
    if (mcr === undefined || (mcr & 0x0b) !== 0x0b) return fail('MCR with DTR, RTS and OUT2 (0x0b)', mcr === undefined ? 'MCR never written' : `MCR ${hex(mcr, 2)}`);
    return PASS;
  });
}
