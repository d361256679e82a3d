// Physical addresses are 32-bit unsigned, but the engine computes them as
// int32 (the TLB's XOR), so from 2 GiB up they are negative numbers. Every
// access must still land on the right byte of RAM, or read the bus's all
// ones where there is none: instruction fetches, data through the TLB fast
// paths and the slow path, string instructions' typed-array runs, compiled
// blocks, page walks that end at the very top of the address space, and the
// inspection functions. Descriptor limits reach 0xFFFFFFFF too (G = 1), and
// TR's and LDTR's are compared as numbers.

import { afterAll, describe, expect, it } from 'vitest';
import { CPU, OPEN_BUS } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { DF } from '../../../engine/cpu/flags.ts';
import { PortBus } from '../../../engine/devices/ports.ts';
import { explainAccess } from '../../../engine/inspect/page-walk.ts';
import { peekLinear32 } from '../../../engine/inspect/tables.ts';
import { Machine } from '../../../engine/machine.ts';
import { buildElf } from '../boot/build-elf.ts';
import { CODE, enablePaging, makeCpu, PAGE_DIRECTORY } from '../cpu/harness.ts';

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6, EDI = 7;

/** Step until EIP reaches `end`; returns the fault that stopped it, if any. */
function runTo(cpu: CPU, end: number, maxSteps = 1000): CpuException | undefined {
  for (let i = 0; i < maxSteps && cpu.eip !== end; i++) {
    try {
      step(cpu);
    } catch (e) {
      if (e instanceof CpuException) return e;
      throw e;
    }
  }
  return undefined;
}

describe('instruction fetches where no RAM is read all ones (FF FF is #UD)', () => {
  // JMP EAX, from CODE in 1 MiB of RAM.
  for (const target of [0x80000000, 0xfffffff0, 0xc0000000, 0x00100000]) {
    it(`a jump to 0x${target.toString(16)} raises #UD at the target, never an engine error`, () => {
      const cpu = makeCpu();
      cpu.ram.set([0xff, 0xe0], CODE);
      cpu.eip = CODE;
      cpu.r32[EAX] = target;
      step(cpu);
      expect(cpu.eip >>> 0).toBe(target);
      const fault = runTo(cpu, -1, 1);
      expect(fault?.vector).toBe(Vector.UD);
      expect(cpu.eip >>> 0, 'a fault leaves EIP at the instruction').toBe(target);
    });
  }

  it('an immediate that runs past the end of RAM reads as all ones', () => {
    const cpu = makeCpu();
    const end = cpu.ramSize;
    cpu.ram.set([0xb8, 0x11, 0x22], end - 3); // MOV EAX, imm32 with two of its bytes in RAM
    cpu.eip = end - 3;
    step(cpu);
    expect(cpu.r32[EAX] >>> 0).toBe(0xffff2211);
    expect(cpu.eip).toBe(end + 2);
  });

  it('with paging, a page mapped beyond RAM fetches all ones too', () => {
    const cpu = makeCpu();
    enablePaging(cpu, (pte) => { pte[0x40] = 0x80000000 | 3; });
    cpu.ram.set([0xff, 0xe0], CODE);
    cpu.eip = CODE;
    cpu.r32[EAX] = 0x40ffe;
    step(cpu);
    expect(runTo(cpu, -1, 1)?.vector).toBe(Vector.UD);
    expect(cpu.eip).toBe(0x40ffe);
  });
});

describe('a page walk may end at the very top of the physical address space', () => {
  it('a 4 KiB frame at 0xFFFFF000: its last byte is 0xFFFFFFFF, readable and writable (no RAM: all ones)', () => {
    const cpu = makeCpu();
    enablePaging(cpu, (pte) => { pte[0x40] = 0xfffff000 | 3; });
    cpu.ram.set([0x8a, 0x03, 0x88, 0x23], CODE); // MOV AL, [EBX]; MOV [EBX], AH
    cpu.eip = CODE;
    cpu.r32[EBX] = 0x40fff;
    cpu.r32[EAX] = 0x1200;
    expect(runTo(cpu, CODE + 4)).toBeUndefined();
    expect(cpu.r8[0]).toBe(OPEN_BUS);

    const answer = explainAccess(cpu, 0x40fff, { cpl: 0, access: 'write' });
    expect(answer.allowed).toBe(true);
    expect(answer.physical).toBe(0xffffffff);
    expect(answer.why).toContain('physical 0xffffffff');
    expect(peekLinear32(cpu, 0x40ffc)).toBe(-1);
  });

  it('a 4 MiB page at 0xFFC00000: its last byte too', () => {
    const cpu = makeCpu();
    enablePaging(cpu);
    cpu.cr4 |= 1 << 4; // PSE
    cpu.ram32[(PAGE_DIRECTORY >>> 2) + 1] = 0xffc00000 | 0x83; // linear 4 MiB..8 MiB -> 0xFFC00000, P, R/W, PS
    cpu.flushTlb(false);
    cpu.ram.set([0x8b, 0x03], CODE); // MOV EAX, [EBX]
    cpu.eip = CODE;
    cpu.r32[EBX] = 0x7ffffc;
    expect(runTo(cpu, CODE + 2)).toBeUndefined();
    expect(cpu.r32[EAX]).toBe(-1);
    expect(explainAccess(cpu, 0x7fffff, { cpl: 0, access: 'read' }).physical).toBe(0xffffffff);
  });
});

describe('descriptor limits above 2 GiB compare as unsigned numbers', () => {
  /** A CPU with a GDT at 0x2000 and the 8-byte descriptor `desc` as entry 5 (selector 0x28). */
  function withDescriptor(low: number, high: number): CPU {
    const cpu = makeCpu();
    cpu.gdtBase = 0x2000;
    cpu.gdtLimit = 0x3f;
    cpu.ram32[(0x2000 + 5 * 8) >>> 2] = low;
    cpu.ram32[(0x2000 + 5 * 8 + 4) >>> 2] = high;
    return cpu;
  }

  it('LTR of a TSS with G = 1 and limit 0xFFFFF leaves a 4 GiB limit, and ring-3 I/O reads its bitmap', () => {
    const tss = 0x3000;
    const cpu = withDescriptor((tss << 16) | 0xffff, 0x008f8900 | (tss >>> 16)); // type 9 (available TSS), P, G, limit 0xFFFFF
    cpu.ram.set([0x0f, 0x00, 0xd8], CODE); // LTR AX
    cpu.r32[EAX] = 0x28;
    cpu.eip = CODE;
    step(cpu);
    expect(cpu.trLimit).toBe(0xffffffff);
    // I/O bitmap at offset 0x68, port 0x80 allowed, the rest denied.
    cpu.ram32[(tss + 0x64) >>> 2] = 0x68 << 16;
    cpu.ram.fill(0xff, tss + 0x68, tss + 0x68 + 0x20);
    cpu.ram[tss + 0x68 + (0x80 >>> 3)] = 0xfe;
    cpu.ram.set([0xe4, 0x80, 0xe4, 0x81], CODE + 3); // IN AL, 0x80; IN AL, 0x81
    cpu.cpl = 3;
    cpu.updateAccessMasks();
    const fault = runTo(cpu, CODE + 7);
    expect(cpu.eip, 'IN from the allowed port ran').toBe(CODE + 5);
    expect(fault?.vector).toBe(Vector.GP);
    expect(fault?.detail).toContain('denied by the TSS I/O bitmap');
  });

  it('LLDT of an LDT with G = 1 and limit 0xFFFFF: selectors in it load', () => {
    const ldt = 0x3000;
    const cpu = withDescriptor((ldt << 16) | 0xffff, 0x008f8200 | (ldt >>> 16)); // type 2 (LDT), P, G
    cpu.ram32[ldt >>> 2] = 0x0000ffff; // LDT entry 0: flat writable data, DPL 0
    cpu.ram32[(ldt + 4) >>> 2] = 0x00cf9300;
    cpu.ram.set([0x0f, 0x00, 0xd0, 0x8e, 0xdb], CODE); // LLDT AX; MOV DS, BX
    cpu.r32[EAX] = 0x28;
    cpu.r32[EBX] = 0x04; // index 0, TI = 1, RPL 0
    cpu.eip = CODE;
    expect(runTo(cpu, CODE + 5)).toBeUndefined();
    expect(cpu.ldtLimit).toBe(0xffffffff);
    expect(cpu.segSel[3]).toBe(0x04);
  });
});

describe('RAM above 2 GiB (a 3 GiB machine)', () => {
  const HIGH = 0x90000000;
  let ram: Uint8Array | null = null;
  /** One 3 GiB buffer for the whole suite (the host commits only the pages touched); a fresh CPU on it per test. */
  function bigCpu(): CPU {
    ram ??= new Uint8Array(3 * 2 ** 30);
    const cpu = new CPU(ram, new PortBus());
    for (let s = 0; s < 6; s++) cpu.segLimit[s] = -1;
    cpu.r32[4] = 0x8000;
    cpu.updateAccessMasks();
    return cpu;
  }
  afterAll(() => { ram = null; });

  // MOV EAX, imm32; MOV [EBX], EAX; MOV ECX, [EBX]; MOV DX, [EBX+1]; MOV [EBX+4], AL; MOV SI, [EBX+5]
  const CODE_HIGH = [0xb8, 0x44, 0x33, 0x22, 0x11, 0x89, 0x03, 0x8b, 0x0b, 0x66, 0x8b, 0x53, 0x01, 0x88, 0x43, 0x04, 0x66, 0x8b, 0x73, 0x04];

  function checkCodeRan(cpu: CPU, data: number): void {
    expect(cpu.r32[ECX] >>> 0).toBe(0x11223344);
    expect(cpu.r16[EDX << 1]).toBe(0x2233);
    expect(cpu.r16[ESI << 1]).toBe(0x0044);
    expect(Array.from(cpu.ram.subarray(data, data + 5))).toEqual([0x44, 0x33, 0x22, 0x11, 0x44]);
  }

  for (const data of [HIGH + 0x2000, HIGH + 0x3001]) {
    it(`code at 0x${HIGH.toString(16)} runs, reading and writing RAM at 0x${data.toString(16)} (${data & 1 ? 'unaligned' : 'aligned'})`, () => {
      const cpu = bigCpu();
      cpu.ram.fill(0, data, data + 8);
      cpu.ram.set(CODE_HIGH, HIGH);
      cpu.eip = HIGH | 0;
      cpu.r32[EBX] = data;
      expect(runTo(cpu, (HIGH + CODE_HIGH.length) | 0)).toBeUndefined();
      checkCodeRan(cpu, data);
    });
  }

  it('the same code compiled to a block does the same', () => {
    const cpu = bigCpu();
    const data = HIGH + 0x4001;
    cpu.ram.fill(0, data, data + 8);
    cpu.ram.set([...CODE_HIGH, 0xf4], HIGH + 0x1000);
    cpu.eip = (HIGH + 0x1000) | 0;
    cpu.r32[EBX] = data;
    // The run loop passes the physical address as the TLB gives it: int32.
    const block = compileBlock(cpu, (HIGH + 0x1000) | 0, cpu.eip);
    expect(block.length).toBe(6);
    block.run(cpu, 1000);
    expect(cpu.eip).toBe((HIGH + 0x1000 + CODE_HIGH.length) | 0);
    checkCodeRan(cpu, data);
  });

  for (const down of [false, true]) {
    it(`REP STOSD and REP MOVSB fill and copy there${down ? ' with DF = 1' : ''}`, () => {
      const cpu = bigCpu();
      const dst = HIGH + 0x10000, copy = HIGH + 0x20000;
      cpu.ram.fill(0, dst - 16, dst + 0x3010);
      cpu.ram.fill(0, copy - 16, copy + 0x3010);
      // Where typed-array fills and copies would land given the int32 (negative) addresses: 1 GiB lower.
      const mirror = (addr: number) => cpu.ramSize + (addr | 0);
      cpu.ram.fill(0, mirror(dst) - 16, mirror(copy) + 0x3010);
      // REP STOSD; MOV ESI, EBX; MOV EDI, EBP; MOV ECX, EDX; REP MOVSB
      cpu.ram.set([0xf3, 0xab, 0x89, 0xde, 0x89, 0xef, 0x89, 0xd1, 0xf3, 0xa4], CODE);
      cpu.eip = CODE;
      if (down) cpu.flags |= DF;
      cpu.r32[EAX] = 0x5a5b5c5d;
      cpu.r32[ECX] = 0xc00;
      cpu.r32[EDI] = down ? dst + 0x3000 - 4 : dst;
      cpu.r32[EBX] = down ? dst + 0x3000 - 1 : dst;
      cpu.r32[5] = down ? copy + 0x3000 - 1 : copy;
      cpu.r32[EDX] = 0x3000;
      expect(runTo(cpu, CODE + 10)).toBeUndefined();
      const pattern = Array.from({ length: 0x3000 }, (_, i) => [0x5d, 0x5c, 0x5b, 0x5a][i & 3]);
      expect(Array.from(cpu.ram.subarray(dst, dst + 0x3000))).toEqual(pattern);
      expect(Array.from(cpu.ram.subarray(copy, copy + 0x3000))).toEqual(pattern);
      expect(cpu.ram[dst - 1]).toBe(0);
      expect(cpu.ram[dst + 0x3000]).toBe(0);
      expect(cpu.ram.subarray(mirror(dst) - 16, mirror(copy) + 0x3010).every((b) => b === 0), 'nothing written 1 GiB lower').toBe(true);
    });
  }

  it('the slow path (page walks, descriptor reads) reaches it too', () => {
    const cpu = bigCpu();
    const pd = HIGH + 0x40000, pt = HIGH + 0x41000, frame = HIGH + 0x42000;
    cpu.ram.fill(0, pd, frame + 0x1000);
    cpu.ram32[pd >>> 2] = pt | 3;
    cpu.ram32[(pt >>> 2) + 1] = frame | 3; // linear 0x1000 (CODE's page) -> frame
    cpu.ram32[(pt >>> 2) + 2] = frame | 3; // linear 0x2000 -> the same frame
    cpu.ram.set([0x8b, 0x03, 0x89, 0x43, 0x04], frame); // MOV EAX, [EBX]; MOV [EBX+4], EAX
    cpu.ram32[(frame + 0x800) >>> 2] = 0x0badcafe;
    cpu.cr3 = pd | 0;
    cpu.cr0 |= 0x80000000;
    cpu.flushTlb(false);
    cpu.eip = CODE;
    cpu.r32[EBX] = 0x2800;
    expect(runTo(cpu, CODE + 5)).toBeUndefined();
    expect(cpu.r32[EAX]).toBe(0x0badcafe);
    expect(cpu.ram32[(frame + 0x804) >>> 2]).toBe(0x0badcafe);
    expect(cpu.readPhys8(frame + 0x800)).toBe(0xfe);
    cpu.writePhys8((frame + 0x900) | 0, 0x77);
    expect(cpu.ram[frame + 0x900]).toBe(0x77);
    expect(explainAccess(cpu, 0x2800, { cpl: 0, access: 'read' }).physical).toBe(frame + 0x800);
    expect(peekLinear32(cpu, 0x2800)).toBe(0x0badcafe);
  });
});

describe('Machine.readPhysical', () => {
  it('reads all ones beyond RAM, for unsigned and signed addresses, and past 4 GiB', () => {
    // The smallest kernel: HLT at 1 MiB.
    const kernel = buildElf({ entry: 0x100000, segments: [{ paddr: 0x100000, data: new Uint8Array([0xf4]) }] });
    const m = new Machine({ kernel, ramMiB: 2 });
    try {
      expect(Array.from(m.readPhysical(0x100000, 1))).toEqual([0xf4]);
      expect(Array.from(m.readPhysical(0x1ffffe, 4))).toEqual([0, 0, 0xff, 0xff]);
      expect(Array.from(m.readPhysical(0x80000000, 2))).toEqual([0xff, 0xff]);
      expect(Array.from(m.readPhysical(0x80000000 | 0, 2))).toEqual([0xff, 0xff]);
      // The last byte of the address space, then nothing: no wrap to RAM at 0.
      m.ram[0] = 0x12;
      expect(Array.from(m.readPhysical(0xffffffff, 2))).toEqual([0xff, 0xff]);
    } finally {
      m.release();
    }
  });
});
