// SYSENTER and SYSEXIT, field by field as the SDM's Operation sections list them.
import { describe, expect, it } from 'vitest';
import { makeCpu, CODE } from './harness.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { IF } from '../../../engine/cpu/flags.ts';
import type { UncountedEvent } from '../../../engine/events.ts';

function cpuWithMsrs(cs: number) {
  const cpu = makeCpu();
  cpu.msr.set(0x174, BigInt(cs));
  cpu.msr.set(0x175, 0x9000n);
  cpu.msr.set(0x176, 0x2000n);
  return cpu;
}

describe('SYSENTER', () => {
  it('enters ring 0 at SYSENTER_EIP with CS = SYSENTER_CS, SS = CS + 8, ESP = SYSENTER_ESP, IF cleared', () => {
    const cpu = cpuWithMsrs(0x08);
    cpu.ram.set([0x0f, 0x34], CODE);
    cpu.eip = CODE;
    cpu.setCpl(3);
    cpu.flags |= IF;
    step(cpu);
    expect(cpu.cpl).toBe(0);
    expect(cpu.eip).toBe(0x2000);
    expect(cpu.r32[4]).toBe(0x9000);
    expect(cpu.segSel[1]).toBe(0x08);
    expect(cpu.segSel[2]).toBe(0x10);
    expect(cpu.flags & IF).toBe(0);
  });

  it('is #GP(0) while IA32_SYSENTER_CS is 0', () => {
    const cpu = cpuWithMsrs(0);
    cpu.ram.set([0x0f, 0x34], CODE);
    cpu.eip = CODE;
    expect(() => step(cpu)).toThrow(CpuException);
    expect(cpu.eip).toBe(CODE);
  });
});

describe('SYSEXIT', () => {
  it('returns to ring 3 at EDX with ESP = ECX, CS = SYSENTER_CS + 16 | 3, SS = SYSENTER_CS + 24 | 3', () => {
    const cpu = cpuWithMsrs(0x08);
    cpu.ram.set([0x0f, 0x35], CODE);
    cpu.eip = CODE;
    cpu.r32[1] = 0x7ffff0; // ECX
    cpu.r32[2] = 0x401000; // EDX
    step(cpu);
    expect(cpu.cpl).toBe(3);
    expect(cpu.eip).toBe(0x401000);
    expect(cpu.r32[4]).toBe(0x7ffff0);
    expect(cpu.segSel[1]).toBe(0x1b);
    expect(cpu.segSel[2]).toBe(0x23);
  });

  it('leaves EFLAGS alone, and its event says so: IF in ring 3 is what the kernel had (the grader reads it)', () => {
    for (const interrupts of [true, false]) {
      const cpu = cpuWithMsrs(0x08);
      cpu.ram.set([0x0f, 0x35], CODE);
      cpu.eip = CODE;
      if (interrupts) cpu.flags |= IF;
      else cpu.flags &= ~IF;
      const events: UncountedEvent[] = [];
      cpu.emit = (e) => events.push(e);
      step(cpu);
      const [exit] = events;
      expect(exit?.type).toBe('sysexit');
      expect(exit?.type === 'sysexit' && (exit.eflags & IF) !== 0).toBe(interrupts);
      expect(cpu.flags & IF).toBe(interrupts ? IF : 0);
    }
  });

  it('is #GP(0) at CPL 3', () => {
    const cpu = cpuWithMsrs(0x08);
    cpu.ram.set([0x0f, 0x35], CODE);
    cpu.eip = CODE;
    cpu.setCpl(3);
    let caught: CpuException | undefined;
    try { step(cpu); } catch (e) { caught = e as CpuException; }
    expect(caught?.vector).toBe(13);
    expect(caught?.errorCode).toBe(0);
  });
});
