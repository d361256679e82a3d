// Shift and rotate instructions against values worked out by hand from the SDM
// pseudocode ("SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD"). Each case
// asserts only the flags the SDM defines for it (`check`); the last block pins
// the choices made for undefined flags, which follow qemu-system-i386 7.2.
import { describe, expect, it } from 'vitest';
import { CODE, makeCpu, run, statusFlags } from './harness.ts';
import { AF, CF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';

const ALL = CF | PF | AF | ZF | SF | OF;
/** Flags a shift by count 1 defines (AF is undefined for every shift). */
const SHIFT1 = CF | OF | SF | ZF | PF;
/** Flags a shift by count > 1 defines. */
const SHIFTN = CF | SF | ZF | PF;
const DATA = 0x2000;

interface Case {
  name: string;
  code: number[];
  eax: number;
  ecx?: number;
  edx?: number;
  ebx?: number;
  /** Status flags before the instruction. */
  flags?: number;
  out: number;
  outFlags: number;
  /** The flags this case asserts. */
  check: number;
}

/** AL = `v` with recognisable upper bits, to show byte operations leave them alone. */
const al = (v: number): number => (0xaabbcc00 | v) >>> 0;
const u32 = (v: number): number => v >>> 0;

function exec(code: number[], setup: (cpu: CPU) => void): CPU {
  const cpu = run(code, setup);
  // A fault leaves EIP on the faulting instruction; reaching the end means every instruction retired.
  expect(cpu.eip).toBe(CODE + code.length);
  return cpu;
}

function runCase(c: Case): void {
  const cpu = exec(c.code, (cpu) => {
    cpu.r32[0] = c.eax;
    cpu.r32[1] = c.ecx ?? 0;
    cpu.r32[2] = c.edx ?? 0;
    cpu.r32[3] = c.ebx ?? 0;
    cpu.setArithFlags(c.flags ?? 0);
  });
  expect((cpu.r32[0] >>> 0).toString(16)).toBe((c.out >>> 0).toString(16));
  expect(statusFlags(cpu) & c.check).toBe(c.outFlags & c.check);
}

describe('SHL/SAL', () => {
  it.each<Case>([
    { name: 'SHL AL,1: 0x80 -> 0, the bit shifted out is CF, OF = MSB(r) ^ CF', code: [0xd0, 0xe0], eax: al(0x80), out: al(0x00), outFlags: CF | OF | ZF | PF, check: SHIFT1 },
    { name: 'SHL AL,1: 0x40 -> 0x80 changes the sign: OF', code: [0xd0, 0xe0], eax: al(0x40), out: al(0x80), outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHL AL,1: 0xC0 -> 0x80 keeps the sign: no OF', code: [0xd0, 0xe0], eax: al(0xc0), out: al(0x80), outFlags: CF | SF, check: SHIFT1 },
    { name: 'SAL (/6) is SHL', code: [0xd0, 0xf0], eax: al(0x40), out: al(0x80), outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHL AL,7: CF is bit 1 of the source', code: [0xc0, 0xe0, 7], eax: al(0x03), out: al(0x80), outFlags: CF | SF, check: SHIFTN },
    { name: 'SHL AL,CL=8 shifts everything out', code: [0xd2, 0xe0], ecx: 8, eax: al(0x01), out: al(0x00), outFlags: ZF | PF, check: SF | ZF | PF },
    { name: 'SHL AL,CL=33 is masked to 1', code: [0xd2, 0xe0], ecx: 33, eax: al(0x40), out: al(0x80), outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHL AL,CL=0 changes no flags', code: [0xd2, 0xe0], ecx: 0, flags: CF | ZF | AF | OF, eax: al(0x81), out: al(0x81), outFlags: CF | ZF | AF | OF, check: ALL },
    { name: 'SHL AL,CL=32 is masked to 0: no flags change', code: [0xd2, 0xe0], ecx: 32, flags: SF | PF, eax: al(0x81), out: al(0x81), outFlags: SF | PF, check: ALL },
    { name: 'SHL AH,CL (register 4 of a byte op is AH)', code: [0xd2, 0xe4], ecx: 1, eax: 0x4000, out: 0x8000, outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHL EAX,1: 0x7FFFFFFF -> 0xFFFFFFFE overflows', code: [0xd1, 0xe0], eax: 0x7fffffff, out: 0xfffffffe, outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHL EAX,CL=31: CF is bit 1', code: [0xd3, 0xe0], ecx: 31, eax: 3, out: 0x80000000, outFlags: CF | SF | PF, check: SHIFTN },
    { name: 'SHL EAX,CL=32 is a no-op', code: [0xd3, 0xe0], ecx: 32, flags: CF | ZF, eax: 1, out: 1, outFlags: CF | ZF, check: ALL },
    { name: 'SHL AX,1 keeps the upper half of EAX', code: [0x66, 0xd1, 0xe0], eax: 0x12348000, out: 0x12340000, outFlags: CF | OF | ZF | PF, check: SHIFT1 },
  ])('$name', runCase);
});

describe('SHR', () => {
  it.each<Case>([
    { name: 'SHR AL,1: OF is the old MSB', code: [0xd0, 0xe8], eax: al(0x81), out: al(0x40), outFlags: CF | OF, check: SHIFT1 },
    { name: 'SHR AL,1: 1 -> 0', code: [0xd0, 0xe8], eax: al(0x01), out: al(0x00), outFlags: CF | ZF | PF, check: SHIFT1 },
    { name: 'SHR AL,CL=7: 0x80 -> 1', code: [0xd2, 0xe8], ecx: 7, eax: al(0x80), out: al(0x01), outFlags: 0, check: SHIFTN },
    { name: 'SHR AL,CL=8 clears the byte', code: [0xd2, 0xe8], ecx: 8, eax: al(0xff), out: al(0x00), outFlags: ZF | PF, check: SF | ZF | PF },
    { name: 'SHR EAX,1: 0x80000000 -> 0x40000000', code: [0xd1, 0xe8], eax: 0x80000000, out: 0x40000000, outFlags: OF | PF, check: SHIFT1 },
    { name: 'SHR AX,CL=16 clears AX only', code: [0x66, 0xd3, 0xe8], ecx: 16, eax: 0x1234ffff, out: 0x12340000, outFlags: ZF | PF, check: SF | ZF | PF },
  ])('$name', runCase);
});

describe('SAR', () => {
  it.each<Case>([
    { name: 'SAR AL,1 clears OF and keeps the sign', code: [0xd0, 0xf8], flags: OF, eax: al(0x81), out: al(0xc0), outFlags: CF | SF | PF, check: SHIFT1 },
    { name: 'SAR AL,CL=7: 0x80 -> 0xFF', code: [0xd2, 0xf8], ecx: 7, eax: al(0x80), out: al(0xff), outFlags: SF | PF, check: SHIFTN },
    { name: 'SAR AL,CL=8: the sign fills the byte and CF', code: [0xd2, 0xf8], ecx: 8, eax: al(0x80), out: al(0xff), outFlags: CF | SF | PF, check: SHIFTN },
    { name: 'SAR AL,CL=31: 0x7F -> 0', code: [0xd2, 0xf8], ecx: 31, eax: al(0x7f), out: al(0x00), outFlags: ZF | PF, check: SHIFTN },
    { name: 'SAR EAX,CL=31: 0x80000000 -> -1', code: [0xd3, 0xf8], ecx: 31, eax: 0x80000000, out: 0xffffffff, outFlags: SF | PF, check: SHIFTN },
    { name: 'SAR AX,CL=15: 0x8000 -> 0xFFFF', code: [0x66, 0xd3, 0xf8], ecx: 15, eax: 0x12348000, out: 0x1234ffff, outFlags: SF | PF, check: SHIFTN },
  ])('$name', runCase);
});

describe('ROL/ROR: only CF and OF change', () => {
  it.each<Case>([
    { name: 'ROL AL,1: 0x80 -> 0x01, other flags kept', code: [0xd0, 0xc0], flags: ZF | SF | PF | AF, eax: al(0x80), out: al(0x01), outFlags: ZF | SF | PF | AF | CF | OF, check: ALL },
    { name: 'ROL AL,4: 0x12 -> 0x21', code: [0xc0, 0xc0, 4], eax: al(0x12), out: al(0x21), outFlags: CF, check: ALL & ~OF },
    { name: 'ROL AL,8: value kept, CF = LSB (count & 1Fh is nonzero)', code: [0xc0, 0xc0, 8], eax: al(0x81), out: al(0x81), outFlags: CF, check: ALL & ~OF },
    { name: 'ROL AL,CL=0 changes no flags', code: [0xd2, 0xc0], ecx: 0, flags: CF | OF, eax: al(0x81), out: al(0x81), outFlags: CF | OF, check: ALL },
    { name: 'ROR AL,1: 0x01 -> 0x80, OF = top two bits differ', code: [0xd0, 0xc8], eax: al(0x01), out: al(0x80), outFlags: CF | OF, check: ALL },
    { name: 'ROR AL,1: 0x81 -> 0xC0', code: [0xd0, 0xc8], eax: al(0x81), out: al(0xc0), outFlags: CF, check: ALL },
    { name: 'ROR AL,CL=12 rotates by 4', code: [0xd2, 0xc8], ecx: 12, eax: al(0x12), out: al(0x21), outFlags: 0, check: ALL & ~OF },
    { name: 'ROR EAX,31 is ROL EAX,1', code: [0xc1, 0xc8, 31], flags: ZF, eax: 1, out: 2, outFlags: ZF, check: ALL & ~OF },
    { name: 'ROL AX,16: value kept, CF = LSB', code: [0x66, 0xc1, 0xc0, 16], eax: 0x12348001, out: 0x12348001, outFlags: CF, check: ALL & ~OF },
  ])('$name', runCase);
});

describe('RCL/RCR: rotate through CF', () => {
  it.each<Case>([
    { name: 'RCL AL,1: MSB to CF, ZF not computed from the zero result', code: [0xd0, 0xd0], eax: al(0x80), out: al(0x00), outFlags: CF | OF, check: ALL },
    { name: 'RCL AL,1: CF enters bit 0', code: [0xd0, 0xd0], flags: CF, eax: al(0x00), out: al(0x01), outFlags: 0, check: ALL },
    { name: 'RCL AL,CL=8 in the 9-bit ring', code: [0xd2, 0xd0], ecx: 8, eax: al(0x01), out: al(0x00), outFlags: CF, check: ALL & ~OF },
    { name: 'RCL AL,CL=9: count mod 9 = 0 leaves value and CF', code: [0xd2, 0xd0], ecx: 9, flags: CF, eax: al(0x55), out: al(0x55), outFlags: CF, check: ALL & ~OF },
    { name: 'RCL EAX,1: 0x80000000 with CF -> 1', code: [0xd1, 0xd0], flags: CF, eax: 0x80000000, out: 1, outFlags: CF | OF, check: ALL },
    { name: 'RCL AX,CL=16 in the 17-bit ring', code: [0x66, 0xd3, 0xd0], ecx: 16, eax: 0xaabb8001, out: 0xaabb4000, outFlags: CF, check: ALL & ~OF },
    { name: 'RCL AX,CL=17: count mod 17 = 0', code: [0x66, 0xd3, 0xd0], ecx: 17, eax: 0xaabb8001, out: 0xaabb8001, outFlags: 0, check: ALL & ~OF },
    { name: 'RCR AL,1: OF = MSB ^ CF before the rotate', code: [0xd0, 0xd8], flags: CF, eax: al(0x01), out: al(0x80), outFlags: CF | OF, check: ALL },
    { name: 'RCR AL,1: 0x80 with CF clear', code: [0xd0, 0xd8], eax: al(0x80), out: al(0x40), outFlags: OF, check: ALL },
    { name: 'RCR AL,CL=8 is RCL by 1 in the 9-bit ring', code: [0xd2, 0xd8], ecx: 8, flags: CF, eax: al(0x80), out: al(0x01), outFlags: CF, check: ALL & ~OF },
    { name: 'RCR EAX,CL=4 in the 33-bit ring', code: [0xd3, 0xd8], ecx: 4, eax: 0xf, out: 0xe0000000, outFlags: CF, check: ALL & ~OF },
  ])('$name', runCase);

  it('takes its carry-in from a lazily evaluated ADD and keeps the ADD flags', () => {
    // ADD AL,BL: 0xFF + 1 = 0 sets CF ZF AF PF; RCL AL,1 rotates that CF in.
    const cpu = exec([0x00, 0xd8, 0xd0, 0xd0], (cpu) => {
      cpu.r32[0] = 0xff;
      cpu.r32[3] = 0x01;
    });
    expect(cpu.r32[0]).toBe(0x01);
    expect(statusFlags(cpu)).toBe(ZF | AF | PF);
  });

  it('a shift replaces every status flag a previous ADD left', () => {
    const cpu = exec([0x00, 0xd8, 0xd0, 0xe3], (cpu) => { // ADD AL,BL; SHL BL,1
      cpu.r32[0] = 0xff;
      cpu.r32[3] = 0x01;
    });
    expect(cpu.r32[3]).toBe(0x02);
    expect(statusFlags(cpu)).toBe(0);
  });
});

describe('SHLD/SHRD', () => {
  it.each<Case>([
    { name: 'SHLD EAX,EDX,4', code: [0x0f, 0xa4, 0xd0, 4], eax: 0x12345678, edx: 0x9abcdef0, out: 0x23456789, outFlags: CF, check: SHIFTN },
    { name: 'SHLD EAX,EDX,1: sign change sets OF', code: [0x0f, 0xa4, 0xd0, 1], eax: 0x40000000, edx: 0x80000000, out: 0x80000001, outFlags: OF | SF, check: SHIFT1 },
    { name: 'SHLD EAX,EDX,31', code: [0x0f, 0xa4, 0xd0, 31], eax: 3, edx: 0xfffffffe, out: 0xffffffff, outFlags: CF | SF | PF, check: SHIFTN },
    { name: 'SHLD EAX,EDX,CL=0 (CL is only the low byte of ECX) changes nothing', code: [0x0f, 0xa5, 0xd0], ecx: 0x100, flags: CF | OF | AF, eax: 0x1234, edx: 0xffff, out: 0x1234, outFlags: CF | OF | AF, check: ALL },
    { name: 'SHRD EAX,EDX,CL=8', code: [0x0f, 0xad, 0xd0], ecx: 8, eax: 0x12345678, edx: 0xab, out: 0xab123456, outFlags: SF | PF, check: SHIFTN },
    { name: 'SHRD EAX,EDX,1: 1 -> 0', code: [0x0f, 0xac, 0xd0, 1], eax: 1, edx: 0, out: 0, outFlags: CF | ZF | PF, check: SHIFT1 },
    { name: 'SHRD EAX,EDX,33 is masked to 1', code: [0x0f, 0xac, 0xd0, 33], eax: 1, edx: 1, out: 0x80000000, outFlags: CF | OF | SF | PF, check: SHIFT1 },
    { name: 'SHLD AX,DX,4 keeps the upper half', code: [0x66, 0x0f, 0xa4, 0xd0, 4], eax: 0xffff1234, edx: 0xabcd, out: 0xffff234a, outFlags: CF, check: SHIFTN },
    { name: 'SHLD AX,DX,16 moves DX in, CF = old bit 0', code: [0x66, 0x0f, 0xa4, 0xd0, 16], eax: 0x1235, edx: 0xabcd, out: 0xabcd, outFlags: CF | SF, check: SHIFTN },
    { name: 'SHRD AX,DX,16 moves DX in, CF = old bit 15', code: [0x66, 0x0f, 0xac, 0xd0, 16], eax: 0x8000, edx: 0xabcd, out: 0xabcd, outFlags: CF | SF, check: SHIFTN },
  ])('$name', runCase);
});

describe('memory operands', () => {
  function withMemory(code: number[], dword: number, regs: { ecx?: number; edx?: number; ebx?: number; flags?: number } = {}): CPU {
    return exec(code, (cpu) => {
      cpu.write32(DATA - 4, 0x5a5a5a5a);
      cpu.write32(DATA, dword);
      cpu.write32(DATA + 4, 0xa5a5a5a5);
      cpu.r32[1] = regs.ecx ?? 0;
      cpu.r32[2] = regs.edx ?? 0;
      cpu.r32[3] = regs.ebx ?? 0;
      cpu.setArithFlags(regs.flags ?? 0);
    });
  }

  it('SHL dword [disp32],CL', () => {
    const cpu = withMemory([0xd3, 0x25, 0x00, 0x20, 0x00, 0x00], 0x12345678, { ecx: 4 });
    expect(cpu.read32(DATA) >>> 0).toBe(0x23456780);
    expect(statusFlags(cpu) & SHIFTN).toBe(CF);
  });

  it('ROL byte [disp32],imm8 touches only that byte', () => {
    const cpu = withMemory([0xc0, 0x05, 0x00, 0x20, 0x00, 0x00, 0x01], 0x11223380);
    expect(cpu.read32(DATA) >>> 0).toBe(0x11223301);
    expect(cpu.read32(DATA - 4) >>> 0).toBe(0x5a5a5a5a);
    expect(statusFlags(cpu) & (CF | OF)).toBe(CF | OF);
  });

  it('SHR word [disp32],1', () => {
    const cpu = withMemory([0x66, 0xd1, 0x2d, 0x00, 0x20, 0x00, 0x00], 0xffff0003);
    expect(cpu.read32(DATA) >>> 0).toBe(0xffff0001);
    expect(statusFlags(cpu) & SHIFT1).toBe(CF);
  });

  it('SHL dword [EBX+disp8],imm8 reads the count after the displacement', () => {
    // C1 /4 with ModRM 63 = [EBX+disp8], disp8 4, imm8 3.
    const cpu = withMemory([0xc1, 0x63, 0x04, 0x03], 0x10000001, { ebx: DATA - 4 });
    expect(cpu.read32(DATA) >>> 0).toBe(0x80000008);
    expect(cpu.read32(DATA + 4) >>> 0).toBe(0xa5a5a5a5);
    expect(statusFlags(cpu) & SHIFTN).toBe(SF); // CF = bit 29 of the source = 0
  });

  it('a zero count leaves memory and flags alone', () => {
    const cpu = withMemory([0xd3, 0x2d, 0x00, 0x20, 0x00, 0x00], 0x87654321, { ecx: 0, flags: ZF | OF });
    expect(cpu.read32(DATA) >>> 0).toBe(0x87654321);
    expect(statusFlags(cpu)).toBe(ZF | OF);
  });

  /** Identity-map the first 4 MiB with DATA's page read-only, CR0.WP on, and run one instruction. */
  function writeFault(code: number[], flags: number): { cpu: CPU; raised: unknown } {
    const cpu = makeCpu();
    const pd = 0x10000, pt = 0x11000;
    for (let i = 0; i < 1024; i++) cpu.ram32[(pt >>> 2) + i] = (i << 12) | 0x7; // P RW US
    cpu.ram32[(pt >>> 2) + (DATA >>> 12)] = DATA | 0x5; // P US, not writable
    cpu.ram32[pd >>> 2] = pt | 0x7;
    cpu.write32(DATA, 0x80000001);
    cpu.cr3 = pd;
    cpu.cr0 |= (1 << 31) | (1 << 16); // PG, WP: supervisor writes honour read-only pages
    cpu.flushTlb(false);
    cpu.ram.set(code, CODE);
    cpu.eip = CODE;
    cpu.setArithFlags(flags);
    let raised: unknown;
    try { step(cpu); } catch (e) { raised = e; }
    return { cpu, raised };
  }

  it.each([
    { name: 'RCL dword [disp32],1', code: [0xd1, 0x15, 0x00, 0x20, 0x00, 0x00], flags: CF },
    { name: 'SHL dword [disp32],1', code: [0xd1, 0x25, 0x00, 0x20, 0x00, 0x00], flags: ZF | AF },
    { name: 'SHRD dword [disp32],EAX,4', code: [0x0f, 0xac, 0x05, 0x00, 0x20, 0x00, 0x00, 0x04], flags: OF | PF },
  ])('$name: a faulting write leaves memory and EFLAGS as they were', ({ code, flags }) => {
    const { cpu, raised } = writeFault(code, flags);
    expect(raised).toBeInstanceOf(CpuException);
    expect((raised as CpuException).vector).toBe(14);
    expect((raised as CpuException).errorCode).toBe(3); // present, write, supervisor
    expect(cpu.eip).toBe(CODE);
    expect(u32(cpu.ram32[DATA >>> 2]!)).toBe(0x80000001);
    expect(statusFlags(cpu)).toBe(flags);
  });

  it('SHLD dword [disp32],EDX,8', () => {
    const cpu = withMemory([0x0f, 0xa4, 0x15, 0x00, 0x20, 0x00, 0x00, 0x08], 0x11223344, { edx: 0xaabbccdd });
    expect(cpu.read32(DATA) >>> 0).toBe(0x223344aa);
    expect(cpu.read32(DATA + 4) >>> 0).toBe(0xa5a5a5a5);
    expect(statusFlags(cpu) & SHIFTN).toBe(CF | PF);
  });
});

// Undefined in the SDM; these pin what qemu-system-i386 7.2 computes (target/i386
// translate.c and cc_helper_template.h), worked out from its formulas:
// shifts: AF = 0, OF = MSB(src << or >> count-1) ^ MSB(result); ROL/ROR: count-1
// formulas on the result; RCL/RCR: OF = MSB(src ^ result), count mod 9/17 = 0
// keeps CF and OF.
describe('undefined flags follow QEMU', () => {
  it.each<Case>([
    { name: 'SHL AL,7: AF cleared, OF = MSB(r) ^ CF = 0', code: [0xc0, 0xe0, 7], flags: AF | OF, eax: al(0x03), out: al(0x80), outFlags: CF | SF, check: ALL },
    { name: 'SHL AL,CL=8: CF = old bit 0, OF = 1', code: [0xd2, 0xe0], ecx: 8, eax: al(0x01), out: al(0x00), outFlags: CF | OF | ZF | PF, check: ALL },
    { name: 'SHL AL,CL=9: CF = 0', code: [0xd2, 0xe0], ecx: 9, flags: CF, eax: al(0xff), out: al(0x00), outFlags: ZF | PF, check: ALL },
    { name: 'SHR AL,CL=8: CF = old bit 7', code: [0xd2, 0xe8], ecx: 8, eax: al(0x80), out: al(0x00), outFlags: CF | ZF | PF, check: ALL },
    { name: 'SHR AL,CL=2: OF = 0', code: [0xd2, 0xe8], ecx: 2, flags: OF | AF, eax: al(0x80), out: al(0x20), outFlags: 0, check: ALL },
    { name: 'ROL AL,4: OF = MSB(r) ^ CF', code: [0xc0, 0xc0, 4], eax: al(0x12), out: al(0x21), outFlags: CF | OF, check: ALL },
    { name: 'ROL AL,8: OF = MSB(r) ^ CF = 0', code: [0xc0, 0xc0, 8], flags: OF, eax: al(0x81), out: al(0x81), outFlags: CF, check: ALL },
    { name: 'ROR AL,2: OF = bit 7 ^ bit 6 of the result', code: [0xc0, 0xc8, 2], eax: al(0x01), out: al(0x40), outFlags: OF, check: ALL },
    { name: 'RCL AL,CL=9 keeps OF', code: [0xd2, 0xd0], ecx: 9, flags: CF | OF, eax: al(0x55), out: al(0x55), outFlags: CF | OF, check: ALL },
    { name: 'RCL AL,CL=8: OF = MSB(src ^ r)', code: [0xd2, 0xd0], ecx: 8, eax: al(0x01), out: al(0x00), outFlags: CF, check: ALL },
    { name: 'RCL AX,CL=16: OF = MSB(0x8001 ^ 0x4000)', code: [0x66, 0xd3, 0xd0], ecx: 16, eax: 0x8001, out: 0x4000, outFlags: CF | OF, check: ALL },
    { name: 'RCR EAX,CL=4: OF = MSB(0xF ^ 0xE0000000)', code: [0xd3, 0xd8], ecx: 4, eax: 0xf, out: 0xe0000000, outFlags: CF | OF, check: ALL },
    { name: 'SHLD EAX,EDX,4: OF = MSB(dest << 3) ^ MSB(r)', code: [0x0f, 0xa4, 0xd0, 4], eax: 0x12345678, edx: 0x9abcdef0, out: 0x23456789, outFlags: CF | OF, check: ALL },
    // 16-bit counts above 16: QEMU shifts dest:src:dest (SHRD) or src:dest (SHLD).
    { name: 'SHRD AX,DX,CL=20 takes bits 20..35 of dest:src:dest', code: [0x66, 0x0f, 0xad, 0xd0], ecx: 20, eax: 0x1234, edx: 0xabcd, out: 0x4abc, outFlags: CF, check: ALL },
    // Flag source (dest << 19 | 0xABCD1234 >>> 13) & 0xFFFF = 0x5E68: CF = 0, OF = bit 15 of 0x5E68 ^ 0xBCD1.
    { name: 'SHLD AX,DX,CL=20', code: [0x66, 0x0f, 0xa5, 0xd0], ecx: 20, eax: 0x1234, edx: 0xabcd, out: 0xbcd1, outFlags: OF | SF | PF, check: ALL },
  ])('$name', runCase);
});
