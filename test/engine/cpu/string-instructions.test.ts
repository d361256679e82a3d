// MOVS CMPS SCAS LODS STOS INS OUTS with REP/REPE/REPNE. Expected values come
// from the SDM's pseudo-code for each instruction; the randomized tests hold
// the typed-array fast paths against an element-by-element model of it.
import { describe, expect, it } from 'vitest';
import { makeCpu, CODE, enablePaging, PAGE_TABLE } from './harness.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { runInstructions, step } from '../../../engine/cpu/execute.ts';
import { REP_SLICE } from '../../../engine/cpu/ops/string.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { AF, CF, DF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';

const EAX = 0, ECX = 1, EDX = 2, ESI = 6, EDI = 7;
const ES = 0, DS = 3, FS = 4;
const STATUS = CF | PF | AF | ZF | SF | OF;

/** Run `code` at CODE until EIP leaves it; returns the CPU and the fault that stopped it, if any. */
function exec(code: number[], setup?: (cpu: CPU) => void, maxSteps = 1000): { cpu: CPU; fault?: CpuException; steps: number } {
  const cpu = makeCpu();
  cpu.ram.set(code, CODE);
  cpu.eip = CODE;
  setup?.(cpu);
  let steps = 0;
  while (steps < maxSteps && cpu.eip >= CODE && cpu.eip < CODE + code.length) {
    steps++;
    try {
      step(cpu);
    } catch (e) {
      if (e instanceof CpuException) return { cpu, fault: e, steps };
      throw e;
    }
  }
  return { cpu, steps };
}

function bytes(cpu: CPU, at: number, n: number): number[] {
  return Array.from(cpu.ram.subarray(at, at + n));
}


function setRegs(cpu: CPU, esi: number, edi: number, ecx: number): void {
  cpu.r32[ESI] = esi;
  cpu.r32[EDI] = edi;
  cpu.r32[ECX] = ecx;
}

describe('MOVS', () => {
  it('REP MOVSB copies ECX bytes up and leaves ESI/EDI past them, ECX = 0', () => {
    const { cpu } = exec([0xf3, 0xa4], (c) => {
      c.ram.set([1, 2, 3, 4, 5, 6], 0x2000);
      setRegs(c, 0x2000, 0x3000, 5);
    });
    expect(bytes(cpu, 0x3000, 6)).toEqual([1, 2, 3, 4, 5, 0]);
    expect(cpu.r32[ESI]).toBe(0x2005);
    expect(cpu.r32[EDI]).toBe(0x3005);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('REP MOVSD with ECX = 0 does nothing at all', () => {
    const { cpu } = exec([0xf3, 0xa5], (c) => {
      c.ram.set([1, 2, 3, 4], 0x2000);
      setRegs(c, 0x2000, 0x3000, 0);
    });
    expect(bytes(cpu, 0x3000, 4)).toEqual([0, 0, 0, 0]);
    expect(cpu.r32[ESI]).toBe(0x2000);
    expect(cpu.r32[EDI]).toBe(0x3000);
    expect(cpu.eip).toBe(CODE + 2);
  });

  it('MOVSW without REP moves one word and ignores ECX', () => {
    const { cpu } = exec([0x66, 0xa5], (c) => {
      c.ram.set([0x34, 0x12, 0x78], 0x2000);
      setRegs(c, 0x2000, 0x3000, 7);
    });
    expect(bytes(cpu, 0x3000, 3)).toEqual([0x34, 0x12, 0]);
    expect(cpu.r32[ESI]).toBe(0x2002);
    expect(cpu.r32[EDI]).toBe(0x3002);
    expect(cpu.r32[ECX]).toBe(7);
  });

  it('DF = 1: REP MOVSD copies downward from the last element', () => {
    const { cpu } = exec([0xfd, 0xf3, 0xa5], (c) => {
      for (let i = 0; i < 16; i++) c.ram[0x2000 + i] = i + 1;
      setRegs(c, 0x200c, 0x300c, 4);
    });
    expect(bytes(cpu, 0x3000, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(cpu.r32[ESI]).toBe(0x1ffc);
    expect(cpu.r32[EDI]).toBe(0x2ffc);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('REPNE (F2) on MOVS repeats like REP', () => {
    const { cpu } = exec([0xf2, 0xa4], (c) => {
      c.ram.set([9, 8, 7], 0x2000);
      setRegs(c, 0x2000, 0x3000, 3);
    });
    expect(bytes(cpu, 0x3000, 3)).toEqual([9, 8, 7]);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('takes the source segment from an override (FS) but always writes ES:EDI', () => {
    const { cpu } = exec([0x64, 0xf3, 0xa4], (c) => {
      c.segBase[FS] = 0x40000;
      c.segBase[ES] = 0x50000;
      c.ram.set([0xa1, 0xa2], 0x40010);
      c.ram.set([0xd1, 0xd2], 0x10); // what DS:ESI would read
      setRegs(c, 0x10, 0x20, 2);
    });
    expect(bytes(cpu, 0x50020, 2)).toEqual([0xa1, 0xa2]);
    expect(bytes(cpu, 0x20, 2)).toEqual([0, 0]);
  });

  it('an ES override applies to the source only', () => {
    const { cpu } = exec([0x26, 0xa4], (c) => {
      c.segBase[ES] = 0x50000;
      c.ram[0x50010] = 0x77;
      setRegs(c, 0x10, 0x20, 0);
    });
    expect(cpu.ram[0x50020]).toBe(0x77);
  });

  describe('overlapping copies behave as the element-by-element loop', () => {
    it('DF = 0, destination one byte above the source: the first byte propagates', () => {
      const { cpu } = exec([0xf3, 0xa4], (c) => {
        c.ram.set([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x11, 0x22, 0x33, 0x44, 0x55], 0x2000);
        setRegs(c, 0x2000, 0x2001, 8);
      });
      expect(bytes(cpu, 0x2000, 10)).toEqual([0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0x55]);
    });

    it('DF = 0, REP MOVSD one dword above: the first dword repeats', () => {
      const { cpu } = exec([0xf3, 0xa5], (c) => {
        c.ram32[0x2000 >>> 2] = 0x11223344;
        setRegs(c, 0x2000, 0x2004, 4);
      });
      expect(Array.from(cpu.ram32.subarray(0x2000 >>> 2, (0x2000 >>> 2) + 6)))
        .toEqual([0x11223344, 0x11223344, 0x11223344, 0x11223344, 0x11223344, 0]);
    });

    it('DF = 0, MOVSD with the destination 2 bytes above (inside one element)', () => {
      // Element 0 reads bytes 0-3 and writes 2-5; element 1 reads 4-7, two of which element 0 wrote.
      const { cpu } = exec([0xf3, 0xa5], (c) => {
        c.ram.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0x2000);
        setRegs(c, 0x2000, 0x2002, 2);
      });
      expect(bytes(cpu, 0x2000, 10)).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 7, 8]);
    });

    it('DF = 0, destination below the source: a plain move', () => {
      const { cpu } = exec([0xf3, 0xa4], (c) => {
        c.ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x2000);
        setRegs(c, 0x2002, 0x2000, 6);
      });
      expect(bytes(cpu, 0x2000, 8)).toEqual([3, 4, 5, 6, 7, 8, 7, 8]);
    });

    it('DF = 1, destination above the source: a plain move (memmove going down)', () => {
      const { cpu } = exec([0xfd, 0xf3, 0xa4], (c) => {
        c.ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x2000);
        setRegs(c, 0x2005, 0x2007, 6);
      });
      expect(bytes(cpu, 0x2000, 8)).toEqual([1, 2, 1, 2, 3, 4, 5, 6]);
    });

    it('DF = 1, destination one byte below the source: the last byte propagates down', () => {
      const { cpu } = exec([0xfd, 0xf3, 0xa4], (c) => {
        c.ram.set([1, 2, 3, 4, 5, 6, 7, 8], 0x2000);
        setRegs(c, 0x2007, 0x2006, 7);
      });
      expect(bytes(cpu, 0x2000, 8)).toEqual([8, 8, 8, 8, 8, 8, 8, 8]);
      expect(cpu.r32[ESI]).toBe(0x2000);
      expect(cpu.r32[EDI]).toBe(0x1fff);
    });
  });

  for (const down of [false, true]) {
    it(`matches an element-by-element model for random sizes, offsets, overlaps and page crossings${down ? ', DF = 1' : ''}`, () => {
      let seed = down ? 54321 : 12345;
      const random = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      for (let trial = 0; trial < 200; trial++) {
        const size = [1, 2, 4][random(3)]!;
        const step = down ? -size : size;
        // Going down, ESI and EDI start at the highest elements, and up to 0x6000 bytes below them are copied.
        const src = (down ? 0x16000 : 0x10000) + random(0x3000);
        // Half the trials overlap closely (including distances below the element size).
        const dst = random(2) === 0 ? src + random(24) - 8 : (down ? 0x1a000 : 0x18000) + random(0x2000);
        const count = random(3) === 0 ? random(8) : random(0x1800);
        const paged = random(2) === 0;
        const opcode = size === 1 ? [0xf3, 0xa4] : size === 2 ? [0x66, 0xf3, 0xa5] : [0xf3, 0xa5];

        const model = new Uint8Array(0x20000);
        for (let i = 0x10000; i < model.length; i++) model[i] = random(256);
        const expected = model.slice();
        for (let k = 0; k < count; k++) {
          const element = expected.slice(src + k * step, src + k * step + size);
          expected.set(element, dst + k * step);
        }

        const { cpu, fault } = exec(opcode, (c) => {
          c.ram.set(model.subarray(0x10000), 0x10000);
          if (paged) enablePaging(c);
          if (down) c.flags |= DF;
          setRegs(c, src, dst, count);
        }, 100);
        expect(fault).toBeUndefined();
        expect(cpu.r32[ECX]).toBe(0);
        expect(cpu.r32[ESI]).toBe(src + count * step);
        expect(cpu.r32[EDI]).toBe(dst + count * step);
        const got = cpu.ram.subarray(0x10000, 0x20000);
        const want = expected.subarray(0x10000, 0x20000);
        expect(Buffer.compare(got, want), `trial ${trial}: size ${size} src ${src.toString(16)} dst ${dst.toString(16)} count ${count}`).toBe(0);
      }
    });
  }

  it('a page fault part-way leaves ESI/EDI/ECX at the progress made and EIP at the prefix', () => {
    const { cpu, fault } = exec([0xf3, 0xa4], (c) => {
      for (let i = 0; i < 0x20; i++) c.ram[0x2000 + i] = i + 1;
      enablePaging(c, (pte) => { pte[5] = 0; }); // 0x5000-0x5fff not present
      setRegs(c, 0x2000, 0x4ff0, 0x20);
    });
    expect(fault?.vector).toBe(14);
    expect(fault?.errorCode).toBe(0b010); // not present, write, supervisor
    expect(cpu.cr2).toBe(0x5000);
    expect(cpu.eip).toBe(CODE);
    expect(cpu.r32[ECX]).toBe(0x10);
    expect(cpu.r32[ESI]).toBe(0x2010);
    expect(cpu.r32[EDI]).toBe(0x5000);
    expect(bytes(cpu, 0x4ff0, 0x10)).toEqual(Array.from({ length: 0x10 }, (_, i) => i + 1));
  });

  it('the restarted instruction finishes the copy once the page is present', () => {
    const cpu = makeCpu();
    cpu.ram.set([0xf3, 0xa5], CODE);
    cpu.eip = CODE;
    for (let i = 0; i < 0x40; i++) cpu.ram[0x2000 + i] = 0x80 + i;
    enablePaging(cpu, (pte) => { pte[5] = 0; });
    setRegs(cpu, 0x2000, 0x4fe0, 0x10);
    expect(() => step(cpu)).toThrow(CpuException);
    expect(cpu.r32[ECX]).toBe(8);
    cpu.ram32[(PAGE_TABLE >>> 2) + 5] = 0x5000 | 7; // the "handler" maps the page
    step(cpu);
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.eip).toBe(CODE + 2);
    expect(bytes(cpu, 0x4fe0, 0x40)).toEqual(Array.from({ length: 0x40 }, (_, i) => 0x80 + i));
  });

  it('a dword straddling a page boundary into a missing page moves nothing of that element', () => {
    const { cpu, fault } = exec([0xf3, 0xa5], (c) => {
      c.ram32[0x2000 >>> 2] = 0x04030201;
      c.ram32[0x2004 >>> 2] = 0x08070605;
      enablePaging(c, (pte) => { pte[5] = 0; });
      setRegs(c, 0x2000, 0x4ffa, 2);
    });
    expect(fault?.vector).toBe(14);
    expect(cpu.r32[ECX]).toBe(1);
    expect(cpu.r32[EDI]).toBe(0x4ffe);
    expect(bytes(cpu, 0x4ffa, 6)).toEqual([1, 2, 3, 4, 0, 0]);
  });

  it('with the 0x67 prefix uses SI, DI and CX, wrapping at 64 KiB and keeping the high halves', () => {
    const { cpu } = exec([0x67, 0xf3, 0xa4], (c) => {
      c.ram.set([0xe1, 0xe2], 0xfffe);
      c.ram[0] = 0xe3;
      c.r32[ESI] = 0x1234fffe | 0;
      c.r32[EDI] = 0x56783000 | 0;
      c.r32[ECX] = 0xabcd0003 | 0;
    });
    expect(bytes(cpu, 0x3000, 3)).toEqual([0xe1, 0xe2, 0xe3]);
    expect(cpu.r32[ESI] >>> 0).toBe(0x12340001);
    expect(cpu.r32[EDI] >>> 0).toBe(0x56783003);
    expect(cpu.r32[ECX] >>> 0).toBe(0xabcd0000);
  });
});

describe('STOS', () => {
  it('REP STOSD fills ECX dwords with EAX', () => {
    const { cpu } = exec([0xf3, 0xab], (c) => {
      c.r32[EAX] = 0xdeadbeef | 0;
      setRegs(c, 0, 0x3001, 3); // unaligned on purpose
    });
    expect(bytes(cpu, 0x3000, 14)).toEqual([0, 0xef, 0xbe, 0xad, 0xde, 0xef, 0xbe, 0xad, 0xde, 0xef, 0xbe, 0xad, 0xde, 0]);
    expect(cpu.r32[EDI]).toBe(0x300d);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('STOSW with DF = 1 stores AX and steps EDI down by 2', () => {
    const { cpu } = exec([0xfd, 0x66, 0xab], (c) => {
      c.r32[EAX] = 0x12345678;
      setRegs(c, 0, 0x3000, 9);
    });
    expect(bytes(cpu, 0x3000, 2)).toEqual([0x78, 0x56]);
    expect(cpu.r32[EDI]).toBe(0x2ffe);
    expect(cpu.r32[ECX]).toBe(9);
  });

  it('REP STOSB over more than 64 Ki elements completes, and each execution keeps EIP at the instruction until done', () => {
    const count = 0x30000;
    const cpu = makeCpu();
    cpu.ram.set([0xf3, 0xaa], CODE);
    cpu.eip = CODE;
    cpu.r32[EAX] = 0x5a;
    setRegs(cpu, 0, 0x20000, count);
    let executions = 0;
    while (cpu.eip === CODE && executions < 100) {
      step(cpu);
      executions++;
      // Between executions the registers describe exactly the bytes done so far.
      const done = count - cpu.r32[ECX];
      expect(cpu.r32[EDI]).toBe(0x20000 + done);
    }
    expect(cpu.eip).toBe(CODE + 2);
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.ram.subarray(0x20000, 0x50000).every((b) => b === 0x5a)).toBe(true);
    expect(cpu.ram[0x1ffff]).toBe(0);
    expect(cpu.ram[0x50000]).toBe(0);
  });

  it('stops with #PF at a read-only page under CR0.WP, having filled the writable part', () => {
    const { cpu, fault } = exec([0xf3, 0xab], (c) => {
      c.r32[EAX] = -1;
      enablePaging(c, (pte) => { pte[6]! &= ~2; }, true);
      setRegs(c, 0, 0x5ff8, 8);
    });
    expect(fault?.vector).toBe(14);
    expect(fault?.errorCode).toBe(0b011); // present, write, supervisor
    expect(cpu.cr2).toBe(0x6000);
    expect(cpu.r32[ECX]).toBe(6);
    expect(cpu.r32[EDI]).toBe(0x6000);
    expect(bytes(cpu, 0x5ff8, 8)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  });

  it('sets the dirty bit of the page it writes, as the slow path would', () => {
    const { cpu } = exec([0xf3, 0xab], (c) => {
      enablePaging(c);
      setRegs(c, 0, 0x7000, 0x400);
    });
    expect(cpu.ram32[(PAGE_TABLE >>> 2) + 7]! & 0x60).toBe(0x60);
  });
});

describe('LODS', () => {
  it('LODSB loads AL only and advances ESI', () => {
    const { cpu } = exec([0xac], (c) => {
      c.ram[0x2000] = 0x99;
      c.r32[EAX] = 0x11223344;
      c.r32[ESI] = 0x2000;
    });
    expect(cpu.r32[EAX]).toBe(0x11223399);
    expect(cpu.r32[ESI]).toBe(0x2001);
  });

  it('REP LODSD leaves the last element in EAX', () => {
    const { cpu } = exec([0xf3, 0xad], (c) => {
      c.ram32.set([1, 2, 3], 0x2000 >>> 2);
      setRegs(c, 0x2000, 0, 3);
    });
    expect(cpu.r32[EAX]).toBe(3);
    expect(cpu.r32[ESI]).toBe(0x200c);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('honours a segment override', () => {
    const { cpu } = exec([0x64, 0x66, 0xad], (c) => {
      c.segBase[FS] = 0x30000;
      c.ram.set([0xcd, 0xab], 0x30004);
      c.r32[ESI] = 4;
    });
    expect(cpu.r32[EAX] & 0xffff).toBe(0xabcd);
  });
});

describe('CMPS and SCAS', () => {
  it('CMPSD sets the flags of [ESI] - [EDI] and steps both', () => {
    const { cpu } = exec([0xa7], (c) => {
      c.ram32[0x2000 >>> 2] = 1;
      c.ram32[0x3000 >>> 2] = 2;
      setRegs(c, 0x2000, 0x3000, 0);
    });
    // 1 - 2 = 0xffffffff: borrow, negative, 8 ones (even parity), borrow out of bit 3.
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | PF | AF);
    expect(cpu.r32[ESI]).toBe(0x2004);
    expect(cpu.r32[EDI]).toBe(0x3004);
  });

  it('REPE CMPSB stops after the first difference', () => {
    const { cpu } = exec([0xf3, 0xa6], (c) => {
      c.ram.set([...'abcXe'].map((ch) => ch.charCodeAt(0)), 0x2000);
      c.ram.set([...'abcYe'].map((ch) => ch.charCodeAt(0)), 0x3000);
      setRegs(c, 0x2000, 0x3000, 10);
    });
    expect(cpu.r32[ECX]).toBe(6);
    expect(cpu.r32[ESI]).toBe(0x2004);
    expect(cpu.r32[EDI]).toBe(0x3004);
    // 'X' - 'Y' = 0x58 - 0x59 = 0xff.
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | PF | AF);
  });

  it('REPE CMPSD runs to ECX = 0 with ZF = 1 when everything matches', () => {
    const { cpu } = exec([0xf3, 0xa7], (c) => {
      c.ram32.set([5, 6, 7], 0x2000 >>> 2);
      c.ram32.set([5, 6, 7], 0x3000 >>> 2);
      setRegs(c, 0x2000, 0x3000, 3);
    });
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.getFlags() & STATUS).toBe(ZF | PF);
  });

  it('REPNE SCASB finds the terminator (strlen)', () => {
    const { cpu } = exec([0xf2, 0xae], (c) => {
      c.ram.set([...'hello'].map((ch) => ch.charCodeAt(0)), 0x2000);
      c.r32[EAX] = 0;
      setRegs(c, 0, 0x2000, -1);
    });
    expect(cpu.r32[EDI]).toBe(0x2006);
    expect(cpu.r32[ECX] >>> 0).toBe(0xffffffff - 6);
    expect(cpu.getFlags() & ZF).toBe(ZF);
  });

  it('REPNE SCASW stops at ECX = 0 with ZF = 0 when nothing matches', () => {
    const { cpu } = exec([0x66, 0xf2, 0xaf], (c) => {
      c.ram.set([1, 0, 2, 0, 3, 0], 0x2000);
      c.r32[EAX] = 0x10009;
      setRegs(c, 0, 0x2000, 3);
    });
    expect(cpu.r32[ECX]).toBe(0);
    expect(cpu.r32[EDI]).toBe(0x2006);
    // 9 - 3 = 6: no flags but PF (0b110 has two ones).
    expect(cpu.getFlags() & STATUS).toBe(PF);
  });

  it('REPE SCASB stops at the first element that differs from AL', () => {
    const { cpu } = exec([0xf3, 0xae], (c) => {
      c.ram.set([7, 7, 7, 9], 0x2000);
      c.r32[EAX] = 7;
      setRegs(c, 0, 0x2000, 100);
    });
    expect(cpu.r32[ECX]).toBe(96);
    expect(cpu.r32[EDI]).toBe(0x2004);
    expect(cpu.getFlags() & ZF).toBe(0);
  });

  it('with ECX = 0 compares nothing and keeps the flags', () => {
    const { cpu } = exec([0xf3, 0xa6], (c) => {
      c.setArithFlags(CF | OF);
      setRegs(c, 0x2000, 0x3000, 0);
    });
    expect(cpu.getFlags() & STATUS).toBe(CF | OF);
    expect(cpu.r32[ESI]).toBe(0x2000);
  });

  it('DF = 1 steps down; SCASD compares EAX with ES:EDI', () => {
    const { cpu } = exec([0xfd, 0xaf], (c) => {
      c.segBase[ES] = 0x10000;
      c.ram32[0x10100 >>> 2] = 0x80000000 | 0;
      c.r32[EAX] = 0x7fffffff;
      c.r32[EDI] = 0x100;
    });
    // 0x7fffffff - 0x80000000 = 0xffffffff with signed overflow.
    expect(cpu.getFlags() & STATUS).toBe(CF | SF | OF | PF);
    expect(cpu.r32[EDI]).toBe(0xfc);
  });

  it('REPE CMPSB with the 0x67 prefix counts in CX', () => {
    const { cpu } = exec([0x67, 0xf3, 0xa6], (c) => {
      c.ram.set([1, 2, 3], 0x2000);
      c.ram.set([1, 2, 4], 0x3000);
      c.r32[ESI] = 0x77772000;
      c.r32[EDI] = 0x77773000;
      c.r32[ECX] = 0x77770005;
    });
    expect(cpu.r32[ECX] >>> 0).toBe(0x77770002);
    expect(cpu.r32[ESI] >>> 0).toBe(0x77772003);
  });
});

describe('INS and OUTS', () => {
  function withDevice(setup?: (cpu: CPU) => void) {
    const written: number[] = [];
    let next = 0x40;
    let reads = 0;
    return {
      written,
      get reads() { return reads; },
      setup: (c: CPU): void => {
        c.io.claim(0x3f8, 8, {
          read8: () => { reads++; return next++; },
          write8: (_port, v) => { written.push(v); },
        });
        c.r32[EDX] = 0x3f8;
        setup?.(c);
      },
    };
  }

  it('REP OUTSB writes ECX bytes from DS:ESI to port DX', () => {
    const dev = withDevice((c) => {
      c.ram.set([0x68, 0x69, 0x21], 0x2000);
      setRegs(c, 0x2000, 0, 3);
    });
    const { cpu } = exec([0xf3, 0x6e], dev.setup);
    expect(dev.written).toEqual([0x68, 0x69, 0x21]);
    expect(cpu.r32[ESI]).toBe(0x2003);
    expect(cpu.r32[ECX]).toBe(0);
  });

  it('OUTSD writes a dword as four byte accesses to consecutive ports, with an FS source', () => {
    const dev = withDevice((c) => {
      c.segBase[FS] = 0x30000;
      c.ram32[0x30000 >>> 2] = 0x44332211;
      c.r32[ESI] = 0;
    });
    exec([0x64, 0x6f], dev.setup);
    expect(dev.written).toEqual([0x11, 0x22, 0x33, 0x44]);
  });

  it('REP INSB reads port DX into ES:EDI', () => {
    const dev = withDevice((c) => {
      c.segBase[ES] = 0x10000;
      setRegs(c, 0, 0x100, 4);
    });
    const { cpu } = exec([0xf3, 0x6c], dev.setup);
    expect(bytes(cpu, 0x10100, 5)).toEqual([0x40, 0x41, 0x42, 0x43, 0]);
    expect(cpu.r32[EDI]).toBe(0x104);
    expect(dev.reads).toBe(4);
  });

  it('INS into a missing page faults before reading the port, so no input is lost', () => {
    const dev = withDevice((c) => {
      enablePaging(c, (pte) => { pte[5] = 0; });
      setRegs(c, 0, 0x4ffe, 4);
    });
    const { cpu, fault } = exec([0xf3, 0x6c], dev.setup);
    expect(fault?.vector).toBe(14);
    expect(dev.reads).toBe(2);
    expect(cpu.r32[ECX]).toBe(2);
    expect(cpu.r32[EDI]).toBe(0x5000);
  });

  it('at CPL 3 with IOPL 0 and no TSS bitmap raises #GP(0), even with ECX = 0', () => {
    const dev = withDevice((c) => {
      c.cpl = 3;
      c.updateAccessMasks();
      setRegs(c, 0x2000, 0, 0);
    });
    const { cpu, fault } = exec([0xf3, 0x6e], dev.setup);
    expect(fault?.vector).toBe(13);
    expect(fault?.errorCode).toBe(0);
    expect(cpu.eip).toBe(CODE);
    expect(dev.written).toEqual([]);
  });

  it('at CPL 3 with IOPL 3 is allowed', () => {
    const dev = withDevice((c) => {
      c.cpl = 3;
      c.flags |= 3 << 12;
      c.updateAccessMasks();
      c.ram[0x2000] = 0x5a;
      c.r32[ESI] = 0x2000;
    });
    const { fault } = exec([0x6e], dev.setup);
    expect(fault).toBeUndefined();
    expect(dev.written).toEqual([0x5a]);
  });
});

describe('DF is read from EFLAGS as CLD/STD leave it', () => {
  it('CLD after STD makes STOSB go up again', () => {
    const { cpu } = exec([0xfd, 0xfc, 0xaa], (c) => {
      c.r32[EAX] = 1;
      c.r32[EDI] = 0x3000;
    });
    expect(cpu.r32[EDI]).toBe(0x3001);
    expect(cpu.getFlags() & DF).toBe(0);
  });
});

describe('REP STOS with DF = 1 stores downward, a page at a time', () => {
  for (const size of [1, 2, 4]) {
    it(`REP STOS of ${size}-byte elements matches the element-by-element model, aligned or not, across pages`, () => {
      for (const start of [0x13ffc, 0x13ffd, 0x12007, 0x12000]) {
        const count = 0x900;
        const { cpu, fault } = exec(size === 2 ? [0x66, 0xf3, 0xab] : [0xf3, size === 1 ? 0xaa : 0xab], (c) => {
          enablePaging(c);
          c.flags |= DF;
          c.r32[EAX] = 0x44332211;
          c.r32[EDI] = start;
          c.r32[ECX] = count;
        });
        expect(fault).toBeUndefined();
        const model = new Uint8Array(0x20000);
        for (let k = 0; k < count; k++) for (let i = 0; i < size; i++) model[start - k * size + i] = 0x11 * (i + 1);
        expect(Buffer.compare(cpu.ram.subarray(0x8000, 0x18000), model.subarray(0x8000, 0x18000)), `start ${start.toString(16)}`).toBe(0);
        expect(cpu.r32[EDI]).toBe(start - count * size);
      }
    });
  }

  it('REP MOVSD and REP STOSD with DF = 1 go through RAM a page at a time, not an access per element', () => {
    for (const opcode of [0xa5, 0xab]) {
      const cpu = makeCpu();
      cpu.ram.set([0xf3, opcode], CODE);
      cpu.eip = CODE;
      cpu.flags |= DF;
      setRegs(cpu, 0x23ffc, 0x33ffc, 0x3000);
      let accesses = 0;
      const readMem = cpu.readMem.bind(cpu), writeMem = cpu.writeMem.bind(cpu);
      cpu.readMem = (lin, size) => { accesses++; return readMem(lin, size); };
      cpu.writeMem = (lin, size, v) => { accesses++; writeMem(lin, size, v); };
      step(cpu);
      expect(cpu.r32[ECX]).toBe(0);
      // One element per page through the slow path (it fills the TLB); the rest in typed-array runs.
      expect(accesses, `opcode ${opcode.toString(16)}`).toBeLessThan(40);
    }
  });
});

describe('the instruction budget counts each element of a repeated string instruction', () => {
  it('an execution that handles N elements is one instruction retired and N - 1 units more', () => {
    const { cpu } = exec([0xf3, 0xa4], (c) => setRegs(c, 0x2000, 0x3000, 100));
    expect(cpu.retired).toBe(1);
    expect(cpu.repCharge).toBe(99);
    expect(cpu.budgetUsed()).toBe(100);
  });

  it('with ECX = 0 it is one unit, and a REPE CMPSB that stops at the third element three', () => {
    const zero = exec([0xf3, 0xab], (c) => setRegs(c, 0, 0x3000, 0)).cpu;
    expect(zero.budgetUsed()).toBe(1);
    const { cpu } = exec([0xf3, 0xa6], (c) => {
      c.ram.set([1, 2, 3, 4], 0x2000);
      c.ram.set([1, 2, 9, 4], 0x3000);
      setRegs(c, 0x2000, 0x3000, 4);
    });
    expect(cpu.r32[ECX]).toBe(1);
    expect(cpu.budgetUsed()).toBe(3);
  });

  it('a long REP is one instruction per slice of elements, and charged every element (DF = 0 and 1, every instruction)', () => {
    const count = 3 * REP_SLICE + 5;
    // Name, code, element size, moves ESI, moves EDI. CMPS compares zeros with 0xFF (REPNE: always differ);
    // SCAS compares AL = 0 with zeros (REPE: always equal), so both run to ECX = 0.
    const forms: [string, number[], number, boolean, boolean][] = [
      ['REP MOVSB', [0xf3, 0xa4], 1, true, true], ['REP STOSD', [0xf3, 0xab], 4, false, true],
      ['REP LODSW', [0x66, 0xf3, 0xad], 2, true, false], ['REP OUTSB', [0xf3, 0x6e], 1, true, false],
      ['REPE SCASB', [0xf3, 0xae], 1, false, true], ['REPNE CMPSD', [0xf2, 0xa7], 4, true, true],
    ];
    for (const [name, code, size, movesSource, movesDestination] of forms) {
      for (const down of [false, true]) {
        const what = `${name}${down ? ' with DF = 1' : ''}`;
        const cpu = makeCpu(4 << 20);
        cpu.ram.set(code, CODE);
        cpu.eip = CODE;
        if (down) cpu.flags |= DF;
        // Sources in the second MiB, destinations in the third and fourth.
        const source = down ? 0x1ffffc : 0x100000;
        const destination = down ? 0x3ffffc : 0x200000;
        cpu.ram.fill(name === 'REPNE CMPSD' ? 0xff : 0, 0x200000, 0x400000);
        setRegs(cpu, source, destination, count);
        let executions = 0;
        while (cpu.eip === CODE && executions < 10) {
          step(cpu);
          executions++;
        }
        expect(executions, what).toBe(4);
        expect(cpu.r32[ECX], what).toBe(0);
        expect(cpu.retired, what).toBe(4);
        expect(cpu.budgetUsed(), what).toBe(count);
        const moved = (down ? -count : count) * size;
        expect(cpu.r32[ESI], what).toBe(movesSource ? source + moved : source);
        expect(cpu.r32[EDI], what).toBe(movesDestination ? destination + moved : destination);
      }
    }
  });

  it('an execution stops where the budget ends, part-way, with EIP still at the instruction', () => {
    const cpu = makeCpu();
    cpu.ram.set([0xf3, 0xab], CODE);
    cpu.eip = CODE;
    setRegs(cpu, 0, 0x10000, 1000);
    cpu.budgetLimit = 250;
    step(cpu);
    expect(cpu.budgetUsed()).toBe(250);
    expect(cpu.r32[ECX]).toBe(750);
    expect(cpu.r32[EDI]).toBe(0x10000 + 250 * 4);
    expect(cpu.eip).toBe(CODE);
  });

  it('a run slice holds as much work as its instructions would: charged elements end it early', () => {
    const cpu = makeCpu();
    cpu.ram.set([0xf3, 0xab, 0x40, 0x40, 0x40, 0x40], CODE); // REP STOSD; INC EAX x4
    cpu.eip = CODE;
    setRegs(cpu, 0, 0x10000, 50);
    runInstructions(cpu, 10);
    // The REP used 50 units of a slice of 10: nothing else ran.
    expect(cpu.retired).toBe(1);
    expect(cpu.eip).toBe(CODE + 2);
    expect(cpu.sliceEnd).toBe(10 - 49);
  });

  it('a fault part-way charges the elements done before it', () => {
    const { cpu, fault } = exec([0xf3, 0xa4], (c) => {
      enablePaging(c, (pte) => { pte[5] = 0; });
      setRegs(c, 0x2000, 0x4ff0, 0x20);
    });
    expect(fault?.vector).toBe(14);
    expect(cpu.retired).toBe(0);
    expect(cpu.budgetUsed()).toBe(0x10 - 1);
  });
});
