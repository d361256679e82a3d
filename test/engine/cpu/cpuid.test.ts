// CPUID's identity: the vendor QEMU's default CPU reports (software takes
// vendor-specific paths on it), and the lab PC named where virtual machines
// name themselves, the hypervisor leaves (leaf 1 ECX bit 31, leaf 0x40000000).

import { describe, expect, it } from 'vitest';
import { exec } from './harness.ts';

const CPUID = [0x0f, 0xa2];

function cpuid(leaf: number): number[] {
  const { cpu, fault } = exec(CPUID, (c) => { c.r32[0] = leaf; });
  expect(fault).toBeUndefined();
  return [cpu.r32[0]!, cpu.r32[3]!, cpu.r32[1]!, cpu.r32[2]!].map((v) => v >>> 0); // EAX, EBX, ECX, EDX
}

const text = (...words: number[]) => Buffer.concat(words.map((w) => { const b = Buffer.alloc(4); b.writeUInt32LE(w); return b; })).toString('latin1');

describe('CPUID', () => {
  it('leaf 0: GenuineIntel in EBX, EDX, ECX', () => {
    const [max, ebx, ecx, edx] = cpuid(0);
    expect(max).toBeGreaterThanOrEqual(1);
    expect(text(ebx!, edx!, ecx!)).toBe('GenuineIntel');
  });

  it('leaf 1: an i686 under a hypervisor (ECX bit 31), with the features the lab PC has', () => {
    const [, , ecx, edx] = cpuid(1);
    expect(ecx! >>> 31).toBe(1);
    expect(edx! & (1 << 4)).not.toBe(0); // TSC
    expect(edx! & (1 << 11)).not.toBe(0); // SEP: SYSENTER/SYSEXIT
  });

  it('leaf 0x40000000: the hypervisor signature ringlabLabPC in EBX, ECX, EDX', () => {
    const [max, ebx, ecx, edx] = cpuid(0x40000000);
    expect(max).toBe(0x40000000);
    expect(text(ebx!, ecx!, edx!)).toBe('ringlabLabPC');
  });
});
