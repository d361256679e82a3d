// The lab PC has no x87, MMX or SSE: their opcodes raise #UD (x87: #NM with
// CR0.EM) with a diagnostic naming the instruction and the compiler flag that
// avoids it. The hint-NOP block 0F 18-1F executes as NOPs.
import { describe, expect, it } from 'vitest';
import { makeCpu, CODE, exec } from './harness.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';

const UD = 6, NM = 7;
const CR0_MP = 1 << 1, CR0_EM = 1 << 2, CR0_TS = 1 << 3;
const ADVICE = 'compile with -mgeneral-regs-only';


/** Expect #UD at the first byte of `code` with a detail containing `parts` and the advice. */
function expectUndefined(code: number[], ...parts: string[]): void {
  const { cpu, fault } = exec(code);
  const label = code.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  expect(fault?.vector, label).toBe(UD);
  expect(cpu.eip, label).toBe(CODE);
  expect(fault?.detail, label).toContain(ADVICE);
  for (const part of parts) expect(fault?.detail, label).toContain(part);
}

describe('x87 escape opcodes D8-DF', () => {
  it('every escape opcode, memory and register form, is #UD with the advice', () => {
    for (let op = 0xd8; op <= 0xdf; op++) {
      for (const modrm of [0x00, 0x45, 0xc0, 0xe9, 0xff]) {
        expectUndefined([op, modrm, 0, 0, 0, 0], 'x87 instruction');
      }
    }
  });

  it('names common instructions', () => {
    expectUndefined([0xd9, 0x45, 0x08], 'opcode D9 /0', 'FLD');
    expectUndefined([0xdd, 0x5d, 0xf8], 'DD /3', 'FSTP');
    expectUndefined([0xdb, 0xe3], 'DB E3', 'FNINIT');
    expectUndefined([0xd9, 0xe8], 'D9 E8', 'FLD1');
    expectUndefined([0xde, 0xc9], 'DE C9', 'FMULP');
    expectUndefined([0xdf, 0xe0], 'FNSTSW');
    expectUndefined([0xd9, 0x7d, 0xfe], 'FNSTCW');
    expectUndefined([0xda, 0x44, 0x24, 0x04], 'FIADD');
  });

  it('with CR0.EM set raises #NM instead, still with the advice', () => {
    for (let op = 0xd8; op <= 0xdf; op++) {
      const { cpu, fault } = exec([op, 0x45, 0x08], (c) => { c.cr0 |= CR0_EM; });
      expect(fault?.vector).toBe(NM);
      expect(fault?.errorCode).toBe(-1);
      expect(fault?.detail).toContain('CR0.EM');
      expect(fault?.detail).toContain(ADVICE);
      expect(cpu.eip).toBe(CODE);
    }
  });

  it('with prefixes, the fault points at the first prefix', () => {
    const { cpu, fault } = exec([0x66, 0x2e, 0xd9, 0x00]);
    expect(fault?.vector).toBe(UD);
    expect(cpu.eip).toBe(CODE);
  });
});

describe('FWAIT (9B)', () => {
  it('is a NOP with no FPU, also with CR0.EM set', () => {
    const { cpu, fault } = exec([0x9b, 0x9b], (c) => { c.cr0 |= CR0_EM; });
    expect(fault).toBeUndefined();
    expect(cpu.eip).toBe(CODE + 2);
  });

  it('raises #NM when CR0.MP and CR0.TS are both set', () => {
    const { cpu, fault } = exec([0x9b], (c) => { c.cr0 |= CR0_MP | CR0_TS; });
    expect(fault?.vector).toBe(NM);
    expect(cpu.eip).toBe(CODE);
  });

  it('CR0.TS alone does not fault', () => {
    const { fault } = exec([0x9b], (c) => { c.cr0 |= CR0_TS; });
    expect(fault).toBeUndefined();
  });

  it('FINIT (9B DB E3) faults on the escape opcode, after the FWAIT', () => {
    const { cpu, fault } = exec([0x9b, 0xdb, 0xe3]);
    expect(fault?.vector).toBe(UD);
    expect(fault?.detail).toContain('FNINIT');
    expect(cpu.eip).toBe(CODE + 1);
  });
});

describe('MMX / SSE / SSE2 / SSE3 opcodes in the 0F map', () => {
  const simd = [
    ...range(0x10, 0x17), ...range(0x28, 0x2f), ...range(0x50, 0x77), ...range(0x7c, 0x7f),
    ...range(0xc2, 0xc6), ...range(0xd0, 0xfe),
  ];

  it('each raises #UD with the advice, with and without mandatory prefixes', () => {
    for (const op of simd) {
      for (const prefix of [[], [0x66], [0xf3], [0xf2]]) {
        expectUndefined([...prefix, 0x0f, op, 0xc1, 0, 0, 0, 0, 0]);
      }
    }
  });

  it('names the instruction and its extension', () => {
    expectUndefined([0x0f, 0x28, 0xc1], 'SSE instruction MOVAPS (0F 28)');
    expectUndefined([0x66, 0x0f, 0x6f, 0x01], 'SSE2 instruction MOVDQA (66 0F 6F)');
    expectUndefined([0xf3, 0x0f, 0x10, 0x01], 'SSE instruction MOVSS (F3 0F 10)');
    expectUndefined([0xf2, 0x0f, 0x58, 0xc1], 'SSE2 instruction ADDSD (F2 0F 58)');
    expectUndefined([0xf2, 0x0f, 0x2a, 0xc0], 'SSE2 instruction CVTSI2SD (F2 0F 2A)');
    expectUndefined([0x0f, 0xef, 0xc0], 'MMX instruction PXOR (0F EF)');
    expectUndefined([0x66, 0x0f, 0xef, 0xc0], 'SSE2 instruction PXOR (66 0F EF)');
    expectUndefined([0x0f, 0x77], 'MMX instruction EMMS (0F 77)');
    expectUndefined([0x0f, 0x57, 0xc0], 'SSE instruction XORPS (0F 57)');
    expectUndefined([0x66, 0x0f, 0xd6, 0x01], 'SSE2 instruction MOVQ (66 0F D6)');
    expectUndefined([0xf2, 0x0f, 0x7c, 0xc1], 'SSE3 instruction HADDPS (F2 0F 7C)');
  });

  it('0F AE: FXSAVE, LDMXCSR, CLFLUSH and the fences', () => {
    expectUndefined([0x0f, 0xae, 0x00], 'FXSAVE (0F AE /0)');
    expectUndefined([0x0f, 0xae, 0x08], 'FXRSTOR');
    expectUndefined([0x0f, 0xae, 0x10], 'LDMXCSR');
    expectUndefined([0x0f, 0xae, 0x18], 'STMXCSR');
    expectUndefined([0x0f, 0xae, 0x38], 'CLFLUSH');
    expectUndefined([0x0f, 0xae, 0xe8], 'LFENCE');
    expectUndefined([0x0f, 0xae, 0xf0], 'MFENCE (0F AE F0)', 'lock orl');
    expectUndefined([0x0f, 0xae, 0xf8], 'SFENCE');
  });

  it('0F 38 and 0F 3A three-byte maps', () => {
    expectUndefined([0x66, 0x0f, 0x38, 0x00, 0xc1], 'SSSE3/SSE4', '66 0F 38 00');
    expectUndefined([0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08], 'SSSE3/SSE4', '0F 3A 0F');
    expectUndefined([0x0f, 0x38, 0xf0, 0x06], 'MOVBE', 'i686');
    expectUndefined([0xf2, 0x0f, 0x38, 0xf1, 0xc1], 'CRC32');
  });

  it('stays #UD (never #NM) when CR0.EM is set', () => {
    const { fault } = exec([0x0f, 0x28, 0xc1], (c) => { c.cr0 |= CR0_EM; });
    expect(fault?.vector).toBe(UD);
  });
});

describe('hint NOPs 0F 18-1F', () => {
  const PAGE_DIRECTORY = 0x80000;

  /** Paging on with only the first page table present for 0-1 MiB: EAX points at unmapped memory. */
  function unmappedEax(c: CPU): void {
    c.ram32[PAGE_DIRECTORY >>> 2] = 0x81000 | 7;
    for (let i = 0; i < 256; i++) c.ram32[(0x81000 >>> 2) + i] = (i << 12) | 7;
    c.cr3 = PAGE_DIRECTORY;
    c.cr0 |= 0x80000000;
    c.flushTlb(false);
    c.r32[0] = 0x40000000;
  }

  it('multi-byte NOPs of every common length decode their operand and do nothing', () => {
    const nops = [
      [0x0f, 0x1f, 0x00], // nop dword [eax]
      [0x0f, 0x1f, 0x40, 0x00], // nop dword [eax+0]
      [0x0f, 0x1f, 0x44, 0x00, 0x00], // nop dword [eax+eax*1+0]
      [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
      [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00], // nop dword [eax+0x0]
      [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
      [0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
      [0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
      [0x0f, 0x1f, 0xc0], // register form
    ];
    const code = nops.flat();
    const { cpu, fault } = exec(code, unmappedEax);
    expect(fault).toBeUndefined();
    expect(cpu.eip).toBe(CODE + code.length);
    expect(cpu.r32[0]).toBe(0x40000000);
  });

  it('ENDBR32 (F3 0F 1E FB) is a NOP', () => {
    const { cpu, fault } = exec([0xf3, 0x0f, 0x1e, 0xfb, 0x90]);
    expect(fault).toBeUndefined();
    expect(cpu.eip).toBe(CODE + 5);
  });

  it('PREFETCHh of an unmapped address does not fault', () => {
    const code = [0x0f, 0x18, 0x00, 0x0f, 0x18, 0x48, 0x10, 0x0f, 0x18, 0x90, 0, 0, 0, 0, 0x0f, 0x18, 0x18];
    const { cpu, fault } = exec(code, unmappedEax);
    expect(fault).toBeUndefined();
    expect(cpu.eip).toBe(CODE + code.length);
  });

  it('PREFETCHh with a register operand is #UD (as in QEMU); 0F 18 /4-7 are NOPs', () => {
    const { fault } = exec([0x0f, 0x18, 0xc0]);
    expect(fault?.vector).toBe(UD);
    const nop = exec([0x0f, 0x18, 0xe0, 0x0f, 0x18, 0x20]);
    expect(nop.fault).toBeUndefined();
  });

  it('0F 19-1E with 16-bit addressing consume a 16-bit displacement', () => {
    // 67 0F 19 86 34 12 : nop [bp+0x1234]; then 90
    const { cpu, fault } = exec([0x67, 0x0f, 0x19, 0x86, 0x34, 0x12, 0x90]);
    expect(fault).toBeUndefined();
    expect(cpu.eip).toBe(CODE + 7);
  });
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
