// BT/BTS/BTR/BTC, BSF/BSR, BSWAP, SETcc and CMOVcc against values worked out
// from the SDM ("BT", "BSF", "BSR", "BSWAP", "SETcc", "CMOVcc", and the
// condition-code table in Vol. 1 Appendix B). Where the SDM leaves a flag
// undefined the test says which choice it pins (QEMU's, see ops/bits.ts).
import { describe, expect, it } from 'vitest';
import { CODE, makeCpu, run, statusFlags } from './harness.ts';
import { AF, CF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';

const ALL = CF | PF | AF | ZF | SF | OF;
const DATA = 0x2000;

interface Regs { eax?: number; ecx?: number; edx?: number; ebx?: number; flags?: number; mem?: Record<number, number> }

function exec(code: number[], r: Regs): CPU {
  const cpu = run(code, (cpu) => {
    cpu.r32[0] = r.eax ?? 0;
    cpu.r32[1] = r.ecx ?? 0;
    cpu.r32[2] = r.edx ?? 0;
    cpu.r32[3] = r.ebx ?? 0;
    cpu.setArithFlags(r.flags ?? 0);
    for (const [addr, v] of Object.entries(r.mem ?? {})) cpu.write32(Number(addr), v);
  });
  // A fault leaves EIP on the faulting instruction; reaching the end means every instruction retired.
  expect(cpu.eip).toBe(CODE + code.length);
  return cpu;
}

const u32 = (v: number): number => v >>> 0;
const disp32 = [0x00, 0x20, 0x00, 0x00]; // DATA

describe('BT/BTS/BTR/BTC with a register bit offset', () => {
  it.each([
    { name: 'BT EAX,ECX: bit 4 set', code: [0x0f, 0xa3, 0xc8], eax: 0x10, ecx: 4, out: 0x10, cf: true },
    { name: 'BT EAX,ECX: offset 36 is taken modulo 32 for a register', code: [0x0f, 0xa3, 0xc8], eax: 0x10, ecx: 36, out: 0x10, cf: true },
    { name: 'BT EAX,ECX: clear bit clears CF', code: [0x0f, 0xa3, 0xc8], flags: CF, eax: 0x10, ecx: 3, out: 0x10, cf: false },
    { name: 'BT EAX,ECX: offset -1 is bit 31', code: [0x0f, 0xa3, 0xc8], eax: 0x80000000, ecx: -1, out: 0x80000000, cf: true },
    { name: 'BTS EAX,ECX sets bit 31', code: [0x0f, 0xab, 0xc8], eax: 0, ecx: 31, out: 0x80000000, cf: false },
    { name: 'BTS EAX,ECX on a set bit', code: [0x0f, 0xab, 0xc8], eax: 1, ecx: 0, out: 1, cf: true },
    { name: 'BTR EAX,ECX clears bit 0', code: [0x0f, 0xb3, 0xc8], eax: 0xffffffff, ecx: 0, out: 0xfffffffe, cf: true },
    { name: 'BTC EAX,ECX complements a set bit', code: [0x0f, 0xbb, 0xc8], eax: 5, ecx: 2, out: 1, cf: true },
    { name: 'BTC EAX,ECX complements a clear bit', code: [0x0f, 0xbb, 0xc8], eax: 1, ecx: 2, out: 5, cf: false },
    { name: 'BTS AX,CX: offset 17 is bit 1, upper half kept', code: [0x66, 0x0f, 0xab, 0xc8], eax: 0xffff0000, ecx: 17, out: 0xffff0002, cf: false },
    { name: 'BT AX,CX does not see bit 16 of EAX', code: [0x66, 0x0f, 0xa3, 0xc8], eax: 0x00010000, ecx: 16, out: 0x00010000, cf: false },
  ])('$name', ({ code, eax, ecx, flags, out, cf }) => {
    const cpu = exec(code, { eax, ecx, flags });
    expect(u32(cpu.r32[0])).toBe(u32(out));
    expect(statusFlags(cpu) & CF).toBe(cf ? CF : 0);
  });

  it('ZF is unaffected (SDM); OF SF AF PF, undefined, are kept as QEMU keeps them', () => {
    const cpu = exec([0x0f, 0xa3, 0xc8], { eax: 1, ecx: 0, flags: ZF | SF | AF | PF | OF });
    expect(statusFlags(cpu)).toBe(ALL);
    const cpu2 = exec([0x0f, 0xbb, 0xc8], { eax: 0, ecx: 0, flags: ALL });
    expect(cpu2.r32[0]).toBe(1);
    expect(statusFlags(cpu2)).toBe(ALL & ~CF);
  });
});

describe('BT family on memory: the offset selects a dword (word) beyond the address', () => {
  it('offset 35 reads bit 3 of the next dword', () => {
    const cpu = exec([0x0f, 0xa3, 0x0d, ...disp32], { ecx: 35, mem: { [DATA]: 0, [DATA + 4]: 0x8 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('offset -1 reads bit 31 of the dword below (the offset is signed)', () => {
    const cpu = exec([0x0f, 0xa3, 0x0d, ...disp32], { ecx: -1, mem: { [DATA - 4]: 0x80000000, [DATA]: 0 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('offset -33 reads bit 31 two dwords below', () => {
    const cpu = exec([0x0f, 0xa3, 0x0d, ...disp32], { ecx: -33, mem: { [DATA - 8]: 0x80000000, [DATA - 4]: 0 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('BTS with offset -32 sets bit 0 of the dword below and nothing else', () => {
    const cpu = exec([0x0f, 0xab, 0x0d, ...disp32], { ecx: -32, mem: { [DATA - 4]: 0, [DATA]: 0 } });
    expect(u32(cpu.read32(DATA - 4))).toBe(1);
    expect(cpu.read32(DATA)).toBe(0);
    expect(statusFlags(cpu) & CF).toBe(0);
  });

  it('BTR with offset 100 clears bit 4 of the fourth dword', () => {
    const cpu = exec([0x0f, 0xb3, 0x0d, ...disp32], { ecx: 100, mem: { [DATA + 12]: 0xffffffff } });
    expect(u32(cpu.read32(DATA + 12))).toBe(0xffffffef);
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('offset 0xFFFF with a 32-bit operand reaches 8188 bytes up', () => {
    const cpu = exec([0x0f, 0xa3, 0x0d, ...disp32], { ecx: 0xffff, mem: { [DATA + 8188]: 0x80000000 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('with a base register: BT [EBX],ECX', () => {
    const cpu = exec([0x0f, 0xa3, 0x0b], { ebx: DATA, ecx: 40, mem: { [DATA + 4]: 0x100 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('16-bit: CX is a signed word offset (-1 is bit 15 of the word below)', () => {
    const cpu = exec([0x66, 0x0f, 0xa3, 0x0d, ...disp32], { ecx: 0x0001ffff, mem: { [DATA - 4]: 0x80000000, [DATA]: 0 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('16-bit BTC with offset 17 flips bit 1 of the next word', () => {
    const cpu = exec([0x66, 0x0f, 0xbb, 0x0d, ...disp32], { ecx: 17, mem: { [DATA]: 0 } });
    expect(u32(cpu.read32(DATA))).toBe(0x00020000);
    expect(statusFlags(cpu) & CF).toBe(0);
  });
});

describe('a faulting BTS/BTR/BTC write', () => {
  it.each([
    { name: 'BTS [disp32],ECX', code: [0x0f, 0xab, 0x0d, ...disp32] },
    { name: 'BTC [disp32],imm8', code: [0x0f, 0xba, 0x3d, ...disp32, 0] },
  ])('$name leaves memory and CF as they were', ({ code }) => {
    // Identity-map the first 4 MiB with DATA's page read-only and CR0.WP on.
    const cpu = makeCpu();
    const pd = 0x10000, pt = 0x11000;
    for (let i = 0; i < 1024; i++) cpu.ram32[(pt >>> 2) + i] = (i << 12) | 0x7;
    cpu.ram32[(pt >>> 2) + (DATA >>> 12)] = DATA | 0x5;
    cpu.ram32[pd >>> 2] = pt | 0x7;
    cpu.write32(DATA, 1);
    cpu.cr3 = pd;
    cpu.cr0 |= (1 << 31) | (1 << 16);
    cpu.flushTlb(false);
    cpu.ram.set(code, CODE);
    cpu.eip = CODE;
    cpu.setArithFlags(ZF); // CF clear; bit 0 of the operand is set
    let raised: unknown;
    try { step(cpu); } catch (e) { raised = e; }
    expect(raised).toBeInstanceOf(CpuException);
    expect((raised as CpuException).vector).toBe(14);
    expect(cpu.read32(DATA)).toBe(1);
    expect(statusFlags(cpu)).toBe(ZF);
  });
});

describe('group 8: BT/BTS/BTR/BTC Ev,imm8', () => {
  it.each([
    { name: 'BT EAX,33 tests bit 1 (immediate taken modulo 32)', code: [0x0f, 0xba, 0xe0, 33], eax: 2, out: 2, cf: true },
    { name: 'BTS EAX,31', code: [0x0f, 0xba, 0xe8, 31], eax: 0, out: 0x80000000, cf: false },
    { name: 'BTR EAX,0', code: [0x0f, 0xba, 0xf0, 0], eax: 3, out: 2, cf: true },
    { name: 'BTC AX,31 flips bit 15 (modulo 16)', code: [0x66, 0x0f, 0xba, 0xf8, 31], eax: 0x12340000, out: 0x12348000, cf: false },
  ])('$name', ({ code, eax, out, cf }) => {
    const cpu = exec(code, { eax, flags: ZF });
    expect(u32(cpu.r32[0])).toBe(u32(out));
    expect(statusFlags(cpu) & (CF | ZF)).toBe((cf ? CF : 0) | ZF);
  });

  it('an immediate offset stays within the memory operand', () => {
    const cpu = exec([0x0f, 0xba, 0x25, ...disp32, 35], { mem: { [DATA]: 0x8, [DATA + 4]: 0 } });
    expect(statusFlags(cpu) & CF).toBe(CF);
  });

  it('BTS dword [disp32],0 (imm8 after the displacement)', () => {
    const cpu = exec([0x0f, 0xba, 0x2d, ...disp32, 0], { mem: { [DATA]: 0 } });
    expect(cpu.read32(DATA)).toBe(1);
  });

  it('0F BA /0../3 are undefined: #UD', () => {
    for (const modrm of [0xc0, 0xc8, 0xd0, 0xd8]) {
      const cpu = makeCpu();
      cpu.ram.set([0x0f, 0xba, modrm, 1], CODE);
      cpu.eip = CODE;
      let raised: unknown;
      try { step(cpu); } catch (e) { raised = e; }
      expect(raised).toBeInstanceOf(CpuException);
      expect((raised as CpuException).vector).toBe(6);
      expect(cpu.eip).toBe(CODE);
    }
  });
});

describe('BSF/BSR', () => {
  it.each([
    { name: 'BSF 0x18 = 3', code: [0x0f, 0xbc, 0xc1], ecx: 0x18, out: 3 },
    { name: 'BSR 0x18 = 4', code: [0x0f, 0xbd, 0xc1], ecx: 0x18, out: 4 },
    { name: 'BSF 0x80000000 = 31', code: [0x0f, 0xbc, 0xc1], ecx: 0x80000000, out: 31 },
    { name: 'BSR 0x80000000 = 31', code: [0x0f, 0xbd, 0xc1], ecx: 0x80000000, out: 31 },
    { name: 'BSF 1 = 0', code: [0x0f, 0xbc, 0xc1], ecx: 1, out: 0 },
    { name: 'BSR 1 = 0', code: [0x0f, 0xbd, 0xc1], ecx: 1, out: 0 },
    { name: 'BSF -1 = 0', code: [0x0f, 0xbc, 0xc1], ecx: 0xffffffff, out: 0 },
    { name: 'BSR -1 = 31', code: [0x0f, 0xbd, 0xc1], ecx: 0xffffffff, out: 31 },
    { name: 'BSR CX=0x8000 = 15, upper half of EAX kept', code: [0x66, 0x0f, 0xbd, 0xc1], ecx: 0xffff8000, out: 0xdead000f },
    { name: 'BSF AX,CX with CX=1 only looks at CX', code: [0x66, 0x0f, 0xbc, 0xc1], ecx: 0x80000001, out: 0xdead0000 },
  ])('$name clears ZF', ({ code, ecx, out }) => {
    const cpu = exec(code, { eax: 0xdeadbeef, ecx, flags: ZF });
    expect(u32(cpu.r32[0])).toBe(u32(out));
    expect(statusFlags(cpu) & ZF).toBe(0);
  });

  it.each([
    { name: 'BSF', code: [0x0f, 0xbc, 0xc1], ecx: 0 },
    { name: 'BSR', code: [0x0f, 0xbd, 0xc1], ecx: 0 },
    { name: 'BSF AX,CX with only upper ECX bits set', code: [0x66, 0x0f, 0xbc, 0xc1], ecx: 0x00010000 },
  ])('$name of 0 sets ZF and leaves the destination alone', ({ code, ecx }) => {
    const cpu = exec(code, { eax: 0xdeadbeef, ecx });
    expect(u32(cpu.r32[0])).toBe(0xdeadbeef);
    expect(statusFlags(cpu) & ZF).toBe(ZF);
  });

  it('BSF EAX,[disp32] reads memory', () => {
    const cpu = exec([0x0f, 0xbc, 0x05, ...disp32], { mem: { [DATA]: 0x00100000 } });
    expect(cpu.r32[0]).toBe(20);
  });

  it('undefined flags follow QEMU: a logic result of the source (CF OF AF = 0, SF PF from it)', () => {
    expect(statusFlags(exec([0x0f, 0xbc, 0xc1], { ecx: 0x18, flags: CF | OF | AF | SF }))).toBe(PF);
    expect(statusFlags(exec([0x0f, 0xbd, 0xc1], { ecx: 0x80000000, flags: CF | OF | AF }))).toBe(SF | PF);
    expect(statusFlags(exec([0x0f, 0xbc, 0xc1], { ecx: 0, flags: CF | OF | AF | SF }))).toBe(ZF | PF);
  });
});

describe('BSWAP', () => {
  it('reverses the bytes of EAX', () => {
    const cpu = exec([0x0f, 0xc8], { eax: 0x12345678, flags: ALL });
    expect(u32(cpu.r32[0])).toBe(0x78563412);
    expect(statusFlags(cpu)).toBe(ALL);
  });

  it('reverses the bytes of EBX (0F C8+3)', () => {
    const cpu = exec([0x0f, 0xcb], { ebx: 0xff });
    expect(u32(cpu.r32[3])).toBe(0xff000000);
  });

  it('with 0x66 (undefined in the SDM) swaps all 32 bits, as QEMU does', () => {
    const cpu = exec([0x66, 0x0f, 0xc8], { eax: 0x12345678 });
    expect(u32(cpu.r32[0])).toBe(0x78563412);
  });
});

// SDM Vol. 1 Appendix B: the conditions by their flag definitions.
const CONDITIONS: ((f: number) => boolean)[] = [
  (f) => (f & OF) !== 0, // O
  (f) => (f & OF) === 0, // NO
  (f) => (f & CF) !== 0, // B
  (f) => (f & CF) === 0, // AE
  (f) => (f & ZF) !== 0, // E
  (f) => (f & ZF) === 0, // NE
  (f) => (f & (CF | ZF)) !== 0, // BE
  (f) => (f & (CF | ZF)) === 0, // A
  (f) => (f & SF) !== 0, // S
  (f) => (f & SF) === 0, // NS
  (f) => (f & PF) !== 0, // P
  (f) => (f & PF) === 0, // NP
  (f) => ((f & SF) !== 0) !== ((f & OF) !== 0), // L
  (f) => ((f & SF) !== 0) === ((f & OF) !== 0), // GE
  (f) => (f & ZF) !== 0 || ((f & SF) !== 0) !== ((f & OF) !== 0), // LE
  (f) => (f & ZF) === 0 && ((f & SF) !== 0) === ((f & OF) !== 0), // G
];
const FLAG_SETS = [0, CF, ZF, SF, OF, PF, CF | ZF, SF | OF, ZF | SF, ZF | OF, SF | OF | ZF, ALL];

describe('SETcc', () => {
  it('every condition against every flag set', () => {
    for (let cc = 0; cc < 16; cc++) {
      for (const flags of FLAG_SETS) {
        const cpu = exec([0x0f, 0x90 + cc, 0xc0], { eax: 0xaabbccdd, flags });
        const want = CONDITIONS[cc]!(flags) ? 1 : 0;
        expect({ cc, flags, eax: u32(cpu.r32[0]) }).toEqual({ cc, flags, eax: u32(0xaabbcc00 | want) });
        expect(statusFlags(cpu)).toBe(flags);
      }
    }
  });

  it('writes AH for ModRM rm = 4', () => {
    const cpu = exec([0x0f, 0x94, 0xc4], { eax: 0xaabbccdd, flags: ZF });
    expect(u32(cpu.r32[0])).toBe(0xaabb01dd);
  });

  it('writes one byte of memory', () => {
    const cpu = exec([0x0f, 0x95, 0x05, ...disp32], { mem: { [DATA]: 0xffffffff } });
    expect(u32(cpu.read32(DATA))).toBe(0xffffff01);
  });

  it('reads flags a CMP left in the lazy record: SETL and SETB of -1 vs 1', () => {
    // CMP EAX,ECX (39 C8); SETL AL; SETB CL
    const cpu = exec([0x39, 0xc8, 0x0f, 0x9c, 0xc0, 0x0f, 0x92, 0xc1], { eax: -1, ecx: 1 });
    expect(cpu.r8[0]).toBe(1);
    expect(cpu.r8[4]).toBe(0);
  });
});

describe('CMOVcc', () => {
  it('every condition against every flag set (32-bit)', () => {
    for (let cc = 0; cc < 16; cc++) {
      for (const flags of FLAG_SETS) {
        const cpu = exec([0x0f, 0x40 + cc, 0xc1], { eax: 0x11111111, ecx: 0x22222222, flags });
        const want = CONDITIONS[cc]!(flags) ? 0x22222222 : 0x11111111;
        expect({ cc, flags, eax: u32(cpu.r32[0]) }).toEqual({ cc, flags, eax: want });
        expect(statusFlags(cpu)).toBe(flags);
      }
    }
  });

  it('16-bit: moves CX into AX and keeps the upper half', () => {
    const cpu = exec([0x66, 0x0f, 0x45, 0xc1], { eax: 0x11112222, ecx: 0x33334444 });
    expect(u32(cpu.r32[0])).toBe(0x11114444);
  });

  it('16-bit with a false condition leaves EAX alone', () => {
    const cpu = exec([0x66, 0x0f, 0x44, 0xc1], { eax: 0x11112222, ecx: 0x33334444 });
    expect(u32(cpu.r32[0])).toBe(0x11112222);
  });

  it('memory source: loaded when true, destination unchanged when false', () => {
    const taken = exec([0x0f, 0x44, 0x05, ...disp32], { eax: 7, flags: ZF, mem: { [DATA]: 0xcafef00d } });
    expect(u32(taken.r32[0])).toBe(0xcafef00d);
    const notTaken = exec([0x0f, 0x44, 0x05, ...disp32], { eax: 7, mem: { [DATA]: 0xcafef00d } });
    expect(notTaken.r32[0]).toBe(7);
  });
});
