// System instructions (SDM Vol. 3, 2.8 and Vol. 2): flag control, port I/O
// with IOPL and the TSS I/O bitmap, HLT, CPUID, RDTSC, control registers,
// descriptor-table registers, task register, INVLPG, MSRs.

import type { CPU } from '../cpu.ts';
import { Reg, Reg16, Seg } from '../cpu.ts';
import { CF, DF, IF, IOPL, RF, VM, ZF } from '../flags.ts';
import { MachineStop, Vector } from '../exceptions.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PGE, CR4_PSE } from '../../memory/paging.ts';
import { hex16 } from '../../hex.ts';
import {
  ACC_CODE, ACC_CONFORMING, ACC_PRESENT, ACC_S, ACC_WRITABLE_OR_READABLE, loadSegmentCache, readDescriptor, readSystem32, writeSystem8, type Descriptor,
} from '../../memory/segmentation.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { noteIoAccess, readDebugRegister, writeDebugRegister } from '../debug-registers.ts';
import { beyondInstruction, CYCLES } from '../cycle-model.ts';

export const systemOpcodes = new OpcodeFamily('ops/system.ts');
const { def, def0F } = systemOpcodes;

const CR0_TS = 1 << 3;
const CR0_EM = 1 << 2;
/** CR0 bits this CPU keeps: PE MP EM TS ET NE WP AM NW CD PG. */
const CR0_KNOWN = 0x1 | 0x2 | CR0_EM | CR0_TS | 0x10 | 0x20 | CR0_WP | (1 << 18) | (1 << 29) | (1 << 30) | CR0_PG;
const CR4_TSD = 1 << 2;
/** CR4 bits this CPU has: VME PVI TSD DE PSE PGE (no PAE). */
const CR4_KNOWN = 0x1 | 0x2 | CR4_TSD | 0x8 | CR4_PSE | CR4_PGE;

export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_TSC = 0x10;
export const MSR_APIC_BASE = 0x1b;
export const MSR_TSC_DEADLINE = 0x6e0;

function iopl(cpu: CPU): number {
  return (cpu.flags & IOPL) >>> 12;
}

// ---- flags ---------------------------------------------------------------------

def(0xf5, (cpu) => { cpu.materializeFlags(); cpu.flags ^= CF; }); // CMC
def(0xf8, (cpu) => { cpu.materializeFlags(); cpu.flags &= ~CF; }); // CLC
def(0xf9, (cpu) => { cpu.materializeFlags(); cpu.flags |= CF; }); // STC
def(0xfc, (cpu) => { cpu.flags &= ~DF; }); // CLD
def(0xfd, (cpu) => { cpu.flags |= DF; }); // STD

// CLI/STI need CPL <= IOPL (SDM "CLI", protected mode without VME/PVI).
def(0xfa, (cpu) => {
  if (cpu.cpl > iopl(cpu)) cpu.fault(Vector.GP, 0, `CLI at CPL ${cpu.cpl} with IOPL ${iopl(cpu)}`);
  cpu.flags &= ~IF;
});
def(0xfb, (cpu) => {
  if (cpu.cpl > iopl(cpu)) cpu.fault(Vector.GP, 0, `STI at CPL ${cpu.cpl} with IOPL ${iopl(cpu)}`);
  // Interrupts stay blocked until the instruction after STI completes (so "sti; hlt" is race-free).
  if ((cpu.flags & IF) === 0) cpu.shadowInterrupts();
  cpu.enableInterrupts();
});

def(0xf4, (cpu) => {
  cpu.requireCpl0('HLT');
  charge(cpu, CYCLES.HLT);
  cpu.halted = true;
  cpu.stopRequested = true;
});

// ---- port I/O ----------------------------------------------------------------------

/**
 * SDM 19.5: at CPL > IOPL an I/O instruction is allowed only if every bit for
 * its ports is clear in the TSS I/O permission bitmap; otherwise #GP(0).
 */
export function checkIoPermission(cpu: CPU, port: number, size: number): void {
  if (cpu.cpl <= iopl(cpu)) return;
  const what = `I/O to port ${hex16(port)} at CPL ${cpu.cpl} with IOPL ${iopl(cpu)}`;
  if (cpu.trLimit < 0x67) cpu.fault(Vector.GP, 0, `${what}: no TSS I/O bitmap`);
  const mapBase = readSystem32(cpu, (cpu.trBase + 0x64) | 0) >>> 16;
  const byte = mapBase + (port >>> 3);
  if (byte + 1 > cpu.trLimit) cpu.fault(Vector.GP, 0, `${what}: port beyond the TSS I/O bitmap`);
  const bits = readSystem32(cpu, (cpu.trBase + byte) | 0) & 0xffff;
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) cpu.fault(Vector.GP, 0, `${what}: denied by the TSS I/O bitmap`);
}

function portIn(cpu: CPU, port: number, size: number): void {
  checkIoPermission(cpu, port, size);
  if (cpu.ioBreakpoints !== 0) noteIoAccess(cpu, port, size);
  charge(cpu, CYCLES.portIo);
  if (size === 1) cpu.r8[0] = cpu.io.in8(port);
  else if (size === 2) cpu.r16[0] = cpu.io.in16(port);
  else cpu.r32[0] = cpu.io.in32(port);
}

function portOut(cpu: CPU, port: number, size: number): void {
  checkIoPermission(cpu, port, size);
  if (cpu.ioBreakpoints !== 0) noteIoAccess(cpu, port, size);
  charge(cpu, CYCLES.portIo);
  if (size === 1) cpu.io.out8(port, cpu.r8[0]);
  else if (size === 2) cpu.io.out16(port, cpu.r16[0]);
  else cpu.io.out32(port, cpu.r32[0]);
}

def(0xe4, (cpu) => portIn(cpu, cpu.fetch8(), 1));
def(0xe5, (cpu) => portIn(cpu, cpu.fetch8(), cpu.o16 ? 2 : 4));
def(0xe6, (cpu) => portOut(cpu, cpu.fetch8(), 1));
def(0xe7, (cpu) => portOut(cpu, cpu.fetch8(), cpu.o16 ? 2 : 4));
def(0xec, (cpu) => portIn(cpu, cpu.r16[Reg16.DX], 1));
def(0xed, (cpu) => portIn(cpu, cpu.r16[Reg16.DX], cpu.o16 ? 2 : 4));
def(0xee, (cpu) => portOut(cpu, cpu.r16[Reg16.DX], 1));
def(0xef, (cpu) => portOut(cpu, cpu.r16[Reg16.DX], cpu.o16 ? 2 : 4));

// ---- identification and time --------------------------------------------------------

/** CPUID leaf 1 EDX: PSE TSC MSR CX8 SEP PGE CMOV — and no FPU, MMX or SSE. */
const CPUID_FEATURES_EDX = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15);

function text32(s: string): number {
  return s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
}

/** The lab PC's identity for software that asks: a hypervisor leaf, as virtual machines report themselves. */
const HYPERVISOR_SIGNATURE = 'ringlabLabPC';
/** CPUID leaf 1 ECX bit 31: "running under a hypervisor"; the leaves from 0x40000000 then say which. */
const CPUID_HYPERVISOR = 1 << 31;
/** CPUID leaf 1 EDX bit 9 (on-chip APIC) and ECX bit 24 (its timer has TSC-deadline mode). */
const CPUID_APIC = 1 << 9;
const CPUID_TSC_DEADLINE = 1 << 24;

def0F(0xa2, (cpu) => {
  charge(cpu, CYCLES.CPUID);
  const leaf = cpu.r32[Reg.EAX] >>> 0;
  let a = 0, b = 0, c = 0, d = 0;
  if (leaf === 0) {
    // "GenuineIntel" in EBX, EDX, ECX, as QEMU's default CPU reports it: software takes its Intel paths.
    a = 1; b = text32('Genu'); d = text32('ineI'); c = text32('ntel');
  } else if (leaf === 1) {
    a = 0x0633; // family 6, model 3, stepping 3: an i686
    c = CPUID_HYPERVISOR;
    d = CPUID_FEATURES_EDX;
    // The local APIC while it is enabled in IA32_APIC_BASE (SDM 10.4.3), and its TSC-deadline timer.
    if (cpu.apic?.present) {
      c |= CPUID_TSC_DEADLINE;
      d |= CPUID_APIC;
    }
  } else if (leaf === 0x40000000) {
    // The highest hypervisor leaf, and the signature in EBX, ECX, EDX.
    a = 0x40000000 | 0;
    b = text32(HYPERVISOR_SIGNATURE.slice(0, 4)); c = text32(HYPERVISOR_SIGNATURE.slice(4, 8)); d = text32(HYPERVISOR_SIGNATURE.slice(8, 12));
  } else if (leaf === 0x80000000) {
    a = 0x80000000 | 0;
  }
  cpu.r32[Reg.EAX] = a; cpu.r32[Reg.EBX] = b; cpu.r32[Reg.ECX] = c; cpu.r32[Reg.EDX] = d;
});

const TSC_MASK = (1n << 64n) - 1n;

/**
 * The virtual time-stamp counter, never host time: the modelled cycles (the
 * instruction reading it included), one cycle per instruction time HLT
 * skipped, plus what WRMSR set.
 */
export function timeStampCounter(cpu: CPU): bigint {
  return (cyclesSinceReset(cpu) + cpu.tscOffset) & TSC_MASK;
}

function cyclesSinceReset(cpu: CPU): bigint {
  return BigInt(cpu.cycles() + cpu.idleTicks);
}

def0F(0x31, (cpu) => {
  if ((cpu.cr4 & CR4_TSD) !== 0 && cpu.cpl !== 0) cpu.fault(Vector.GP, 0, `RDTSC at CPL ${cpu.cpl} with CR4.TSD set`);
  charge(cpu, CYCLES.RDTSC);
  const tsc = timeStampCounter(cpu);
  cpu.r32[Reg.EAX] = Number(tsc & 0xffffffffn) | 0;
  cpu.r32[Reg.EDX] = Number(tsc >> 32n) | 0;
});

def0F(0x0b, (cpu) => cpu.undefinedOpcode('UD2'));

// ---- control and debug registers ------------------------------------------------------

/** Charge an instruction of a class whose whole cost is `cost` cycles (cycle-model.ts). */
function charge(cpu: CPU, cost: number): void {
  cpu.extraCycles += beyondInstruction(cost);
}

function crWritten(cpu: CPU, cr: number, value: number): void {
  charge(cpu, cr === 3 ? CYCLES.movToCr3 : CYCLES.movToOtherCr);
  cpu.emit?.({ type: 'cr-write', icount: cpu.retired, cr, value, eip: cpu.ip0 });
}

export function writeCr0(cpu: CPU, v: number): void {
  v = (v & CR0_KNOWN) | 0x10;
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) cpu.fault(Vector.GP, 0, 'CR0.PG set without CR0.PE');
  if ((v & CR0_PE) === 0) throw new MachineStop('unsupported', 'CR0.PE cleared: the lab PC has no real mode');
  crWritten(cpu, 0, v);
  const changed = cpu.cr0 ^ v;
  cpu.cr0 = v;
  // SDM 4.10.4.1: changing PG or WP invalidates every TLB entry, global ones included.
  if ((changed & (CR0_PG | CR0_WP)) !== 0) cpu.flushTlb(false);
}

export function writeCr3(cpu: CPU, v: number): void {
  crWritten(cpu, 3, v);
  cpu.accountCr3();
  cpu.cr3 = v & ~0xfe7;
  cpu.flushTlb((cpu.cr4 & CR4_PGE) !== 0);
}

export function writeCr4(cpu: CPU, v: number): void {
  if ((v & ~CR4_KNOWN) !== 0) cpu.fault(Vector.GP, 0, `CR4 reserved bits ${(v & ~CR4_KNOWN).toString(16)} set (this CPU has no PAE)`);
  crWritten(cpu, 4, v);
  const changed = cpu.cr4 ^ v;
  cpu.cr4 = v;
  if ((changed & (CR4_PGE | CR4_PSE)) !== 0) cpu.flushTlb(false);
}

def0F(0x20, (cpu) => {
  const m = cpu.fetch8();
  cpu.requireCpl0('MOV from a control register');
  const cr = (m >>> 3) & 7;
  const values = [cpu.cr0, -1, cpu.cr2, cpu.cr3, cpu.cr4];
  if (cr === 1 || cr > 4) cpu.undefinedOpcode(`MOV from CR${cr}`);
  cpu.r32[m & 7] = values[cr]!;
});

def0F(0x22, (cpu) => {
  const m = cpu.fetch8();
  cpu.requireCpl0('MOV to a control register');
  const cr = (m >>> 3) & 7;
  const v = cpu.r32[m & 7]!;
  switch (cr) {
    case 0: writeCr0(cpu, v); break;
    case 2: crWritten(cpu, 2, v); cpu.cr2 = v; break;
    case 3: writeCr3(cpu, v); break;
    case 4: writeCr4(cpu, v); break;
    default: cpu.undefinedOpcode(`MOV to CR${cr}`);
  }
});

def0F(0x21, (cpu) => {
  const m = cpu.fetch8();
  cpu.r32[m & 7] = readDebugRegister(cpu, (m >>> 3) & 7);
});
def0F(0x23, (cpu) => {
  const m = cpu.fetch8();
  writeDebugRegister(cpu, (m >>> 3) & 7, cpu.r32[m & 7]!);
});

def0F(0x06, (cpu) => { cpu.requireCpl0('CLTS'); charge(cpu, CYCLES.movToOtherCr); cpu.cr0 &= ~CR0_TS; });
def0F(0x08, (cpu) => cpu.requireCpl0('INVD'));
def0F(0x09, (cpu) => cpu.requireCpl0('WBINVD'));

// ---- MSRs --------------------------------------------------------------------------------

const MODELLED_MSRS = new Set([MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP, MSR_TSC]);
/** MSRs of the local APIC: there only while the machine has one, enabled or not. */
const APIC_MSRS = new Set([MSR_APIC_BASE, MSR_TSC_DEADLINE]);

function isModelled(cpu: CPU, n: number): boolean {
  return MODELLED_MSRS.has(n) || (cpu.apic !== null && APIC_MSRS.has(n));
}

function readMsr(cpu: CPU, n: number): bigint {
  if (n === MSR_TSC) return timeStampCounter(cpu);
  if (n === MSR_APIC_BASE) return BigInt(cpu.apic!.readBase());
  if (n === MSR_TSC_DEADLINE) return cpu.apic!.readDeadline();
  return cpu.msr.get(n) ?? 0n;
}

def0F(0x32, (cpu) => { // RDMSR
  cpu.requireCpl0('RDMSR');
  const n = cpu.r32[Reg.ECX] >>> 0;
  if (!isModelled(cpu, n)) cpu.fault(Vector.GP, 0, `RDMSR of MSR ${n.toString(16)}, which the lab PC does not model`);
  charge(cpu, CYCLES.msrAccess);
  const v = readMsr(cpu, n);
  cpu.r32[Reg.EAX] = Number(v & 0xffffffffn) | 0;
  cpu.r32[Reg.EDX] = Number(v >> 32n) | 0;
});

def0F(0x30, (cpu) => { // WRMSR
  cpu.requireCpl0('WRMSR');
  const n = cpu.r32[Reg.ECX] >>> 0;
  if (!isModelled(cpu, n)) cpu.fault(Vector.GP, 0, `WRMSR to MSR ${n.toString(16)}, which the lab PC does not model`);
  const value = (BigInt(cpu.r32[Reg.EDX] >>> 0) << 32n) | BigInt(cpu.r32[Reg.EAX] >>> 0);
  if (n === MSR_APIC_BASE && !cpu.apic!.writeBase(value)) {
    cpu.fault(Vector.GP, 0, `WRMSR to IA32_APIC_BASE with reserved bits set (0x${value.toString(16)}); only the base address and bit 11 (enable) may be written`);
  }
  charge(cpu, CYCLES.msrAccess);
  // Writing the TSC sets where it counts from; it goes on counting modelled cycles (SDM Vol. 3B 18.17).
  if (n === MSR_TSC) {
    cpu.tscOffset = (value - cyclesSinceReset(cpu)) & TSC_MASK;
    cpu.apic?.tscMoved();
  } else if (n === MSR_TSC_DEADLINE) cpu.apic!.writeDeadline(value);
  else if (n !== MSR_APIC_BASE) cpu.msr.set(n, value);
});

// ---- descriptor-table registers: group 7 (0F 01) and group 6 (0F 00) ---------------------

def0F(0x01, (cpu) => {
  const m = cpu.fetch8();
  const op = (m >>> 3) & 7;
  if (m >= 0xc0 && op !== 4 && op !== 6) cpu.undefinedOpcode(`0F 01 /${op} with a register operand`);
  switch (op) {
    case 0: case 1: { // SGDT/SIDT: not privileged (SDM), a 6-byte store
      const lin = cpu.ea(m, 6);
      cpu.write16(lin, op === 0 ? cpu.gdtLimit : cpu.idtLimit);
      cpu.write32((lin + 2) | 0, op === 0 ? cpu.gdtBase : cpu.idtBase);
      return;
    }
    case 2: case 3: { // LGDT/LIDT: with a 16-bit operand only 24 bits of base are loaded
      const lin = cpu.ea(m, 6);
      cpu.requireCpl0(op === 2 ? 'LGDT' : 'LIDT');
      charge(cpu, CYCLES.tableLoad);
      const limit = cpu.read16(lin);
      let base = cpu.read32((lin + 2) | 0);
      if (cpu.o16) base &= 0xffffff;
      if (op === 2) { cpu.gdtLimit = limit; cpu.gdtBase = base; } else { cpu.idtLimit = limit; cpu.idtBase = base; }
      cpu.emit?.({ type: 'table-load', icount: cpu.retired, table: op === 2 ? 'gdt' : 'idt', base, limit });
      return;
    }
    case 4: // SMSW
      if (m >= 0xc0 && !cpu.o16) cpu.r32[m & 7] = cpu.cr0;
      else cpu.writeRM16(m, cpu.cr0 & 0xffff);
      return;
    case 6: { // LMSW: changes PE (set only), MP, EM, TS
      const v = cpu.readRM16(m);
      cpu.requireCpl0('LMSW');
      writeCr0(cpu, (cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & CR0_PE));
      return;
    }
    case 7: { // INVLPG
      const lin = cpu.ea(m);
      cpu.requireCpl0('INVLPG');
      charge(cpu, CYCLES.INVLPG);
      cpu.tlb.invalidate(lin);
      cpu.fetchPage = -1;
      return;
    }
    default:
      cpu.undefinedOpcode(`0F 01 /${op}`);
  }
});

function loadLdt(cpu: CPU, selector: number): void {
  if ((selector & 0xfffc) === 0) {
    cpu.ldtSel = 0; cpu.ldtBase = 0; cpu.ldtLimit = 0;
    return;
  }
  if (selector & 4) cpu.fault(Vector.GP, selector & 0xfffc, 'LLDT with a selector that points into the LDT');
  const d = readDescriptor(cpu, selector);
  if (!d || (d.access & 0x1f) !== 0x02) cpu.fault(Vector.GP, selector & 0xfffc, `LLDT: selector ${hex16(selector)} is not an LDT descriptor`);
  if ((d.access & ACC_PRESENT) === 0) cpu.fault(Vector.NP, selector & 0xfffc, 'LDT descriptor not present');
  cpu.ldtSel = selector; cpu.ldtBase = d.base; cpu.ldtLimit = d.limit;
  cpu.emit?.({ type: 'table-load', icount: cpu.retired, table: 'ldt', base: d.base, limit: d.limit, selector });
}

function loadTaskRegister(cpu: CPU, selector: number): void {
  if ((selector & 0xfffc) === 0) cpu.fault(Vector.GP, 0, 'LTR with a null selector');
  if (selector & 4) cpu.fault(Vector.GP, selector & 0xfffc, 'LTR with a selector that points into the LDT');
  const d = readDescriptor(cpu, selector);
  if (!d || (d.access & 0x1f) !== 0x09) {
    cpu.fault(Vector.GP, selector & 0xfffc, `LTR: selector ${hex16(selector)} is not an available 32-bit TSS`);
  }
  if ((d.access & ACC_PRESENT) === 0) cpu.fault(Vector.NP, selector & 0xfffc, 'TSS descriptor not present');
  // SDM "LTR": the descriptor is marked busy.
  writeSystem8(cpu, (d.address + 5) | 0, d.access | 0x02);
  cpu.trSel = selector; cpu.trBase = d.base; cpu.trLimit = d.limit;
  cpu.emit?.({ type: 'table-load', icount: cpu.retired, table: 'tr', base: d.base, limit: d.limit, selector });
}

def0F(0x00, (cpu) => {
  const m = cpu.fetch8();
  const op = (m >>> 3) & 7;
  switch (op) {
    case 0: // SLDT
      if (m >= 0xc0 && !cpu.o16) cpu.r32[m & 7] = cpu.ldtSel; else cpu.writeRM16(m, cpu.ldtSel);
      return;
    case 1: // STR
      if (m >= 0xc0 && !cpu.o16) cpu.r32[m & 7] = cpu.trSel; else cpu.writeRM16(m, cpu.trSel);
      return;
    case 2: { const sel = cpu.readRM16(m); cpu.requireCpl0('LLDT'); charge(cpu, CYCLES.tableLoad); loadLdt(cpu, sel); return; }
    case 3: { const sel = cpu.readRM16(m); cpu.requireCpl0('LTR'); charge(cpu, CYCLES.tableLoad); loadTaskRegister(cpu, sel); return; }
    case 4: // VERR
    case 5: { // VERW
      const d = visibleDescriptor(cpu, cpu.readRM16(m), op === 4 ? 'read' : 'write');
      setZf(cpu, d !== null);
      return;
    }
    default:
      cpu.undefinedOpcode(`0F 00 /${op}`);
  }
});

// ---- LAR, LSL, VERR, VERW (SDM Vol. 2 "LAR", "LSL", "VERR/VERW") -------------------------
// Questions about a selector that never fault on its answer: ZF = 1 when the
// descriptor exists, is of a kind the instruction accepts and is visible at
// the current privilege, ZF = 0 otherwise (and the destination stays as it
// was). Only ZF changes.

/** System descriptor types LAR reports: TSSs (16 and 32-bit, available or busy), the LDT, call and task gates. */
const LAR_SYSTEM_TYPES = new Set([0x1, 0x2, 0x3, 0x4, 0x5, 0x9, 0xb, 0xc]);
/** LSL: the same without the gates, which have no limit. */
const LSL_SYSTEM_TYPES = new Set([0x1, 0x2, 0x3, 0x9, 0xb]);

type SegmentQuery = 'rights' | 'limit' | 'read' | 'write';

function visibleDescriptor(cpu: CPU, selector: number, query: SegmentQuery): Descriptor | null {
  if ((selector & 0xfffc) === 0) return null;
  const d = readDescriptor(cpu, selector);
  if (d === null) return null;
  const type = d.access & 0x0f;
  const segment = (d.access & ACC_S) !== 0;
  const code = segment && (type & ACC_CODE) !== 0;
  switch (query) {
    case 'rights': if (!segment && !LAR_SYSTEM_TYPES.has(type)) return null; break;
    case 'limit': if (!segment && !LSL_SYSTEM_TYPES.has(type)) return null; break;
    // Code is readable only with R set; data always is. Only data with W set is writable.
    case 'read': if (!segment || (code && (type & ACC_WRITABLE_OR_READABLE) === 0)) return null; break;
    case 'write': if (!segment || code || (type & ACC_WRITABLE_OR_READABLE) === 0) return null; break;
  }
  // Conforming code is visible from any privilege; anything else needs DPL >= CPL and DPL >= RPL.
  const conforming = code && (type & ACC_CONFORMING) !== 0;
  const dpl = (d.access >>> 5) & 3;
  if (!conforming && (dpl < cpu.cpl || dpl < (selector & 3))) return null;
  return d;
}

function setZf(cpu: CPU, on: boolean): void {
  cpu.materializeFlags();
  cpu.flags = on ? cpu.flags | ZF : cpu.flags & ~ZF;
}

def0F(0x02, (cpu) => { // LAR r, r/m16
  const m = cpu.fetch8();
  const d = visibleDescriptor(cpu, cpu.readRM16(m), 'rights');
  if (d !== null) {
    // The second dword's bits 8-23 (type, S, DPL, P, limit 19:16, AVL, D/B, G) with the limit bits cleared, as QEMU does.
    const rights = d.high & 0x00f0ff00;
    if (cpu.o16) cpu.r16[((m >>> 3) & 7) << 1] = rights & 0xffff;
    else cpu.r32[(m >>> 3) & 7] = rights;
  }
  setZf(cpu, d !== null);
});

def0F(0x03, (cpu) => { // LSL r, r/m16
  const m = cpu.fetch8();
  const d = visibleDescriptor(cpu, cpu.readRM16(m), 'limit');
  if (d !== null) {
    if (cpu.o16) cpu.r16[((m >>> 3) & 7) << 1] = d.limit & 0xffff;
    else cpu.r32[(m >>> 3) & 7] = d.limit | 0;
  }
  setZf(cpu, d !== null);
});


// ---- SYSENTER / SYSEXIT (SDM Vol. 2, "SYSENTER", "SYSEXIT") ------------------------------
// Fast system calls: no descriptor is read; CS and SS become flat segments
// derived from IA32_SYSENTER_CS, as the SDM lists them field by field.

/** A flat 4 GiB descriptor for the fixed segments SYSENTER and SYSEXIT load. */
function flatDescriptor(access: number): Descriptor {
  const high = 0x00cf0000 | (access << 8);
  return { low: 0x0000ffff, high, base: 0, limit: -1, access, address: 0 };
}

def0F(0x34, (cpu) => { // SYSENTER
  const cs = Number((cpu.msr.get(MSR_SYSENTER_CS) ?? 0n) & 0xffffn);
  if ((cs & 0xfffc) === 0) cpu.fault(Vector.GP, 0, 'SYSENTER with IA32_SYSENTER_CS = 0 (the kernel has not set up fast system calls)');
  const fromCpl = cpu.cpl;
  charge(cpu, CYCLES.sysenter);
  cpu.materializeFlags();
  cpu.flags &= ~(VM | IF | RF);
  loadSegmentCache(cpu, Seg.CS, cs & 0xfffc, flatDescriptor(0x9b));
  cpu.setCpl(0);
  loadSegmentCache(cpu, Seg.SS, (cs + 8) & 0xfffc, flatDescriptor(0x93));
  cpu.r32[Reg.ESP] = Number((cpu.msr.get(MSR_SYSENTER_ESP) ?? 0n) & 0xffffffffn) | 0;
  cpu.eip = Number((cpu.msr.get(MSR_SYSENTER_EIP) ?? 0n) & 0xffffffffn) | 0;
  cpu.emit?.({ type: 'sysenter', icount: cpu.retired, fromCpl, toCpl: 0, toCs: cs & 0xfffc, toEip: cpu.eip >>> 0, eflags: cpu.getFlags() });
});

def0F(0x35, (cpu) => { // SYSEXIT
  const cs = Number((cpu.msr.get(MSR_SYSENTER_CS) ?? 0n) & 0xffffn);
  if ((cs & 0xfffc) === 0) cpu.fault(Vector.GP, 0, 'SYSEXIT with IA32_SYSENTER_CS = 0');
  cpu.requireCpl0('SYSEXIT');
  charge(cpu, CYCLES.sysexit);
  loadSegmentCache(cpu, Seg.CS, ((cs + 16) & 0xfffc) | 3, flatDescriptor(0xfb));
  cpu.setCpl(3);
  loadSegmentCache(cpu, Seg.SS, ((cs + 24) & 0xfffc) | 3, flatDescriptor(0xf3));
  cpu.r32[Reg.ESP] = cpu.r32[Reg.ECX];
  cpu.eip = cpu.r32[Reg.EDX];
  cpu.emit?.({ type: 'sysexit', icount: cpu.retired, fromCpl: 0, toCpl: 3, toCs: ((cs + 16) & 0xfffc) | 3, toEip: cpu.eip >>> 0, eflags: cpu.getFlags() });
});
