// XCHG, NOP/PAUSE, XADD, CMPXCHG and CMPXCHG8B. Expected values follow the
// SDM's pseudo-code; flags are worked out by hand from the CMP/ADD definitions.
import { describe, expect, it } from 'vitest';
import { makeCpu, CODE, exec, enablePaging, PAGE_TABLE } from './harness.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { AF, CF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6;
const STATUS = CF | PF | AF | ZF | SF | OF;
const MEM = 0x2000;



describe('XCHG', () => {
  it('87 /r swaps a register with memory', () => {
    // xchg [esi], ebx
    const { cpu } = exec([0x87, 0x1e], (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 0x11111111;
      c.r32[EBX] = 0x22222222;
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(0x22222222);
    expect(cpu.r32[EBX]).toBe(0x11111111);
  });

  it('66 87 swaps 16-bit halves only', () => {
    // xchg cx, dx
    const { cpu } = exec([0x66, 0x87, 0xd1], (c) => {
      c.r32[ECX] = 0xaaaa1111 | 0;
      c.r32[EDX] = 0xbbbb2222 | 0;
    });
    expect(cpu.r32[ECX] >>> 0).toBe(0xaaaa2222);
    expect(cpu.r32[EDX] >>> 0).toBe(0xbbbb1111);
  });

  it('86 /r swaps byte registers, AH with AL', () => {
    // xchg ah, al  (86 C4: reg = AL, rm = AH)
    const { cpu } = exec([0x86, 0xc4], (c) => { c.r32[EAX] = 0x1234; });
    expect(cpu.r32[EAX]).toBe(0x3412);
  });

  it('86 with memory swaps a byte', () => {
    const { cpu } = exec([0x86, 0x0e], (c) => { // xchg [esi], cl
      c.r32[ESI] = MEM;
      c.ram[MEM] = 0x5a;
      c.r32[ECX] = 0x1a5;
    });
    expect(cpu.ram[MEM]).toBe(0xa5);
    expect(cpu.r32[ECX]).toBe(0x15a);
  });

  it('91-97 swap EAX with a register', () => {
    const { cpu } = exec([0x93], (c) => { c.r32[EAX] = 1; c.r32[EBX] = 2; }); // xchg eax, ebx
    expect(cpu.r32[EAX]).toBe(2);
    expect(cpu.r32[EBX]).toBe(1);
  });

  it('66 91 swaps AX with CX', () => {
    const { cpu } = exec([0x66, 0x91], (c) => { c.r32[EAX] = 0x10001; c.r32[ECX] = 0x20002; });
    expect(cpu.r32[EAX]).toBe(0x10002);
    expect(cpu.r32[ECX]).toBe(0x20001);
  });

  it('does not change flags', () => {
    const { cpu } = exec([0x93], (c) => { c.setArithFlags(CF | ZF); });
    expect(cpu.getFlags() & STATUS).toBe(CF | ZF);
  });

  it('a memory operand on a read-only page faults with the register unchanged', () => {
    const { cpu, fault } = exec([0x87, 0x1e], (c) => {
      enablePaging(c, (pte) => { pte[2]! &= ~2; }, true);
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 7;
      c.r32[EBX] = 9;
    });
    expect(fault?.vector).toBe(14);
    expect(fault?.errorCode).toBe(0b011);
    expect(cpu.r32[EBX]).toBe(9);
    expect(cpu.ram32[MEM >>> 2]).toBe(7);
  });
});

describe('NOP and PAUSE', () => {
  it('90, 66 90 and F3 90 change nothing but EIP', () => {
    const { cpu } = exec([0x90, 0x66, 0x90, 0xf3, 0x90], (c) => { c.r32[EAX] = 0x12345678; c.setArithFlags(OF); });
    expect(cpu.eip).toBe(CODE + 5);
    expect(cpu.r32[EAX]).toBe(0x12345678);
    expect(cpu.getFlags() & STATUS).toBe(OF);
  });
});

describe('XADD', () => {
  it('0F C1 with memory: DEST gets the sum, SRC the old DEST, flags as ADD', () => {
    // xadd [esi], ebx
    const { cpu } = exec([0x0f, 0xc1, 0x1e], (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 5;
      c.r32[EBX] = 3;
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(8);
    expect(cpu.r32[EBX]).toBe(5);
    // 5 + 3 = 8 = 0b1000: one bit set (odd parity), no carry out of bit 3.
    expect(cpu.getFlags() & STATUS).toBe(0);
  });

  it('signed overflow: 0x7fffffff + 1 sets OF and SF', () => {
    const { cpu } = exec([0x0f, 0xc1, 0xd8], (c) => { // xadd eax, ebx
      c.r32[EAX] = 0x7fffffff;
      c.r32[EBX] = 1;
    });
    expect(cpu.r32[EAX] >>> 0).toBe(0x80000000);
    expect(cpu.r32[EBX]).toBe(0x7fffffff);
    expect(cpu.getFlags() & STATUS).toBe(OF | SF | AF | PF);
  });

  it('0F C0 byte form: 0xff + 1 wraps to 0 with CF, ZF, AF', () => {
    const { cpu } = exec([0x0f, 0xc0, 0x0e], (c) => { // xadd [esi], cl
      c.r32[ESI] = MEM;
      c.ram[MEM] = 0xff;
      c.r32[ECX] = 0x101;
    });
    expect(cpu.ram[MEM]).toBe(0);
    expect(cpu.r32[ECX]).toBe(0x1ff);
    expect(cpu.getFlags() & STATUS).toBe(CF | ZF | AF | PF);
  });

  it('xadd eax, eax leaves the sum in EAX (DEST is written last)', () => {
    const { cpu } = exec([0x0f, 0xc1, 0xc0], (c) => { c.r32[EAX] = 21; });
    expect(cpu.r32[EAX]).toBe(42);
  });

  it('66 0F C1 works on 16 bits', () => {
    const { cpu } = exec([0x66, 0x0f, 0xc1, 0xd8], (c) => { // xadd ax, bx
      c.r32[EAX] = 0x1ffff;
      c.r32[EBX] = 0x20002;
    });
    expect(cpu.r32[EAX]).toBe(0x10001);
    expect(cpu.r32[EBX]).toBe(0x2ffff);
    expect(cpu.getFlags() & CF).toBe(CF);
  });

  it('with LOCK, the usual atomic increment', () => {
    const { cpu } = exec([0xf0, 0x0f, 0xc1, 0x1e], (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 41;
      c.r32[EBX] = 1;
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(42);
    expect(cpu.r32[EBX]).toBe(41);
  });
});

describe('CMPXCHG', () => {
  it('success: accumulator equals DEST, so DEST <- SRC and ZF = 1', () => {
    // lock cmpxchg [esi], ecx
    const { cpu } = exec([0xf0, 0x0f, 0xb1, 0x0e], (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 5;
      c.r32[EAX] = 5;
      c.r32[ECX] = 9;
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(9);
    expect(cpu.r32[EAX]).toBe(5);
    expect(cpu.getFlags() & STATUS).toBe(ZF | PF);
  });

  it('failure: EAX <- DEST, DEST unchanged, flags of EAX - DEST', () => {
    const { cpu } = exec([0x0f, 0xb1, 0x0e], (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 7;
      c.r32[EAX] = 5;
      c.r32[ECX] = 9;
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(7);
    expect(cpu.r32[EAX]).toBe(7);
    // 5 - 7 = 0xfffffffe: borrow, negative, seven ones (odd parity), borrow out of bit 3.
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | AF);
  });

  it('failure still writes DEST: a read-only page faults and nothing changes', () => {
    const { cpu, fault } = exec([0x0f, 0xb1, 0x0e], (c) => {
      enablePaging(c, (pte) => { pte[2]! &= ~2; }, true);
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 7;
      c.r32[EAX] = 5;
      c.setArithFlags(OF);
    });
    expect(fault?.vector).toBe(14);
    expect(fault?.errorCode).toBe(0b011); // present, write
    expect(cpu.r32[EAX]).toBe(5);
    expect(cpu.getFlags() & STATUS).toBe(OF);
    expect(cpu.eip).toBe(CODE);
  });

  it('failure still writes DEST: the page becomes dirty', () => {
    const { cpu } = exec([0x0f, 0xb1, 0x0e], (c) => {
      enablePaging(c);
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 7;
      c.r32[EAX] = 5;
    });
    expect(cpu.ram32[(PAGE_TABLE >>> 2) + 2]! & 0x40).toBe(0x40);
  });

  it('0F B0 byte register form: AL = BL, so BL <- CL', () => {
    // cmpxchg bl, cl (modrm 11 001 011)
    const { cpu } = exec([0x0f, 0xb0, 0xcb], (c) => {
      c.r32[EAX] = 0x33;
      c.r32[EBX] = 0x1133;
      c.r32[ECX] = 0x44;
    });
    expect(cpu.r32[EBX]).toBe(0x1144);
    expect(cpu.r32[EAX]).toBe(0x33);
    expect(cpu.getFlags() & ZF).toBe(ZF);
  });

  it('0F B0 byte form failing loads AL only', () => {
    const { cpu } = exec([0x0f, 0xb0, 0xcb], (c) => {
      c.r32[EAX] = 0x7710;
      c.r32[EBX] = 0x20;
      c.r32[ECX] = 0x44;
    });
    expect(cpu.r32[EAX]).toBe(0x7720);
    expect(cpu.r32[EBX]).toBe(0x20);
    // 0x10 - 0x20 = 0xf0: borrow, negative, four ones (even parity), no borrow out of bit 3.
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | PF);
  });

  it('66 0F B1 compares AX, and on failure loads AX only', () => {
    const { cpu } = exec([0x66, 0x0f, 0xb1, 0x0e], (c) => {
      c.r32[ESI] = MEM;
      c.ram.set([0x34, 0x12], MEM);
      c.r32[EAX] = 0xffff0000 | 0;
    });
    expect(cpu.r32[EAX] >>> 0).toBe(0xffff1234);
    expect(cpu.getFlags() & ZF).toBe(0);
  });

  it('CMPXCHG with EAX as DEST always succeeds and loads SRC', () => {
    const { cpu } = exec([0x0f, 0xb1, 0xc8], (c) => { // cmpxchg eax, ecx
      c.r32[EAX] = 3;
      c.r32[ECX] = 8;
    });
    expect(cpu.r32[EAX]).toBe(8);
    expect(cpu.getFlags() & ZF).toBe(ZF);
  });
});

describe('CMPXCHG8B', () => {
  const code = [0xf0, 0x0f, 0xc7, 0x0e]; // lock cmpxchg8b [esi]

  it('equal: m64 <- ECX:EBX and ZF = 1, other flags kept', () => {
    const { cpu } = exec(code, (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 0x11111111;
      c.ram32[(MEM >>> 2) + 1] = 0x22222222;
      c.r32[EAX] = 0x11111111;
      c.r32[EDX] = 0x22222222;
      c.r32[EBX] = 0x33333333;
      c.r32[ECX] = 0x44444444;
      c.setArithFlags(CF | SF);
    });
    expect(cpu.ram32[MEM >>> 2]).toBe(0x33333333);
    expect(cpu.ram32[(MEM >>> 2) + 1]).toBe(0x44444444);
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | ZF);
  });

  it('different: EDX:EAX <- m64, m64 unchanged, ZF = 0, other flags kept', () => {
    const { cpu } = exec(code, (c) => {
      c.r32[ESI] = MEM;
      c.ram32[MEM >>> 2] = 0x11111111;
      c.ram32[(MEM >>> 2) + 1] = 0x22222222;
      c.r32[EAX] = 0x11111111;
      c.r32[EDX] = 0x22222223; // only the high half differs
      c.r32[EBX] = 0x33333333;
      c.r32[ECX] = 0x44444444;
      c.setArithFlags(ZF | OF | PF);
    });
    expect(cpu.r32[EAX]).toBe(0x11111111);
    expect(cpu.r32[EDX]).toBe(0x22222222);
    expect(cpu.ram32[MEM >>> 2]).toBe(0x11111111);
    expect(cpu.ram32[(MEM >>> 2) + 1]).toBe(0x22222222);
    expect(cpu.getFlags() & STATUS).toBe(OF | PF);
  });

  it('a lazily computed ZF from an earlier CMP is replaced, the rest kept', () => {
    // cmp eax, eax (ZF=1, PF=1) then cmpxchg8b failing: ZF=0, PF stays
    const { cpu } = exec([0x39, 0xc0, ...code], (c) => {
      c.r32[ESI] = MEM;
      c.r32[EAX] = 1;
    });
    expect(cpu.getFlags() & STATUS).toBe(PF);
  });

  it('an operand straddling into a read-only page faults before writing either half', () => {
    const { cpu, fault } = exec(code, (c) => {
      enablePaging(c, (pte) => { pte[3]! &= ~2; }, true);
      c.r32[ESI] = 0x2ffc;
      c.ram32[0x2ffc >>> 2] = 1;
      c.ram32[0x3000 >>> 2] = 2;
      c.r32[EAX] = 1;
      c.r32[EDX] = 2;
      c.r32[EBX] = 5;
      c.r32[ECX] = 6;
    });
    expect(fault?.vector).toBe(14);
    expect(cpu.cr2).toBe(0x3000);
    expect(cpu.ram32[0x2ffc >>> 2]).toBe(1);
    expect(cpu.ram32[0x3000 >>> 2]).toBe(2);
  });

  it('a register operand is #UD', () => {
    const { cpu, fault } = exec([0x0f, 0xc7, 0xc8]);
    expect(fault?.vector).toBe(6);
    expect(cpu.eip).toBe(CODE);
  });

  it('other 0F C7 /reg forms (RDRAND is /6) are #UD', () => {
    const { fault } = exec([0x0f, 0xc7, 0xf0]);
    expect(fault?.vector).toBe(6);
    expect(fault?.detail).toContain('0F C7 /6');
  });
});
