// SDM Vol. 2 "INT n": the stack must have room for the whole frame before
// anything is pushed, else #SS: (EXT) on the current stack, (new SS | EXT)
// on the stack from the TSS. The boundary, dword by dword, on an expand-down
// stack segment whose lowest valid offset is BOTTOM.
import { describe, expect, it } from 'vitest';
import { descriptor, loadGdt, makeCpu } from './harness.ts';
import { Seg } from '../../../engine/cpu/cpu.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { deliverInterrupt, InterruptKind } from '../../../engine/cpu/interrupts.ts';
import { loadSegmentCache, readDescriptor } from '../../../engine/memory/segmentation.ts';

const GDT = 0x2000;
const IDT = 0x3000;
const TSS = 0x4000;
const HANDLER = 0x5000;
const BOTTOM = 0x7000;

/** A descriptor's two dwords from base, limit (bytes), access byte and flags nibble. */
function machine(cpl: 0 | 3) {
  const cpu = makeCpu();
  const gdt = [
    [0, 0] as const,
    descriptor(0, 0xfffff, 0x9a, 0xc), // 0x08 ring-0 code
    descriptor(0, 0xfffff, 0x92, 0xc), // 0x10 ring-0 data
    descriptor(0, BOTTOM - 1, 0x96, 0x4), // 0x18 ring-0 expand-down stack, B = 1: offsets BOTTOM..4 GiB
    descriptor(0, 0xfffff, 0xfa, 0xc), // 0x20 ring-3 code
    descriptor(0, 0xfffff, 0xf2, 0xc), // 0x28 ring-3 data
    descriptor(TSS, 0x67, 0x8b, 0), // 0x30 the TSS, busy
  ];
  loadGdt(cpu, GDT, gdt);
  // IDT entry 0x30: a DPL-3 32-bit interrupt gate to 0x08:HANDLER; entry 13 the same at DPL 0.
  for (const [vector, dpl] of [[0x30, 3], [13, 0]] as const) {
    cpu.ram32[(IDT >>> 2) + 2 * vector] = (0x08 << 16) | (HANDLER & 0xffff);
    cpu.ram32[(IDT >>> 2) + 2 * vector + 1] = (HANDLER & 0xffff0000) | ((0x8e | (dpl << 5)) << 8);
  }
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
  cpu.trSel = 0x30; cpu.trBase = TSS; cpu.trLimit = 0x67;
  cpu.ram32[(TSS + 8) >>> 2] = 0x18; // SS0: the small stack
  if (cpl === 3) {
    cpu.setCpl(3);
    loadSegmentCache(cpu, Seg.CS, 0x23, readDescriptor(cpu, 0x23));
    loadSegmentCache(cpu, Seg.SS, 0x2b, readDescriptor(cpu, 0x2b));
    cpu.r32[4] = 0x9000;
  } else {
    loadSegmentCache(cpu, Seg.SS, 0x18, readDescriptor(cpu, 0x18));
  }
  return cpu;
}

function deliver(cpu: ReturnType<typeof makeCpu>, vector: number, kind: InterruptKind): CpuException | null {
  try {
    deliverInterrupt(cpu, vector, kind === InterruptKind.Exception ? 0 : -1, kind, 0x1234);
    return null;
  } catch (e) {
    if (e instanceof CpuException) return e;
    throw e;
  }
}

describe('room for the interrupt frame', () => {
  it('INT n on the current stack needs 12 bytes: 8 is #SS(0), with ESP, SS and memory untouched', () => {
    const cpu = machine(0);
    cpu.r32[4] = BOTTOM + 8;
    cpu.ram32[(BOTTOM + 4) >>> 2] = 0x5a5a5a5a;
    const fault = deliver(cpu, 0x30, InterruptKind.Software);
    expect([fault?.vector, fault?.errorCode]).toEqual([Vector.SS, 0]);
    expect(cpu.r32[4]).toBe(BOTTOM + 8);
    expect(cpu.ram32[(BOTTOM + 4) >>> 2]).toBe(0x5a5a5a5a);
    expect(cpu.eip).not.toBe(HANDLER);
    const fits = machine(0);
    fits.r32[4] = BOTTOM + 12;
    expect(deliver(fits, 0x30, InterruptKind.Software)).toBeNull();
    expect([fits.r32[4], fits.eip]).toEqual([BOTTOM, HANDLER]);
  });

  it('an exception with an error code needs 16 bytes: 12 is #SS(EXT = 1)', () => {
    const cpu = machine(0);
    cpu.r32[4] = BOTTOM + 12;
    const fault = deliver(cpu, 13, InterruptKind.Exception);
    expect([fault?.vector, fault?.errorCode]).toEqual([Vector.SS, 1]);
    const fits = machine(0);
    fits.r32[4] = BOTTOM + 16;
    expect(deliver(fits, 13, InterruptKind.Exception)).toBeNull();
  });

  it('from ring 3 the stack from the TSS needs 20 bytes: 16 is #SS(SS0), and CPL stays 3', () => {
    const cpu = machine(3);
    cpu.ram32[(TSS + 4) >>> 2] = BOTTOM + 16;
    const fault = deliver(cpu, 0x30, InterruptKind.Software);
    expect([fault?.vector, fault?.errorCode]).toEqual([Vector.SS, 0x18]);
    expect([cpu.cpl, cpu.segSel[Seg.SS], cpu.r32[4]]).toEqual([3, 0x2b, 0x9000]);
    const fits = machine(3);
    fits.ram32[(TSS + 4) >>> 2] = BOTTOM + 20;
    expect(deliver(fits, 0x30, InterruptKind.Software)).toBeNull();
    expect([fits.cpl, fits.segSel[Seg.SS], fits.r32[4]]).toEqual([0, 0x18, BOTTOM]);
  });
});
