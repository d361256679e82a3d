// The debug registers and #DB (SDM Vol. 3, chapter 17), instruction by
// instruction; the same rules run whole in test/fixtures/system/debug.c
// against QEMU (test/engine/system-vs-qemu.test.ts).
import { describe, expect, it } from 'vitest';
import { CODE, run } from './harness.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { RF, TF } from '../../../engine/cpu/flags.ts';

const movEax = (v: number) => [0xb8, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const movDrEax = (n: number) => [0x0f, 0x23, 0xc0 | (n << 3)];
const movEaxDr = (n: number) => [0x0f, 0x21, 0xc0 | (n << 3)];
const storeEax = (addr: number) => [0xa3, addr & 0xff, (addr >>> 8) & 0xff, (addr >>> 16) & 0xff, (addr >>> 24) & 0xff];
const loadEax = (addr: number) => [0xa1, addr & 0xff, (addr >>> 8) & 0xff, (addr >>> 16) & 0xff, (addr >>> 24) & 0xff];
const storeByte = (addr: number) => [0x88, 0x05, addr & 0xff, (addr >>> 8) & 0xff, (addr >>> 16) & 0xff, (addr >>> 24) & 0xff];

/** DR7 enabling breakpoint 0 (L0) with R/W `rw` and LEN `len` (00 byte, 01 word, 11 dword). */
const dr7For0 = (rw: number, len: number) => 0x1 | (rw << 16) | (len << 18);

/** Code that arms DR0 = `addr` with DR7 = `dr7`; its length is ARM_LENGTH. */
const arm = (addr: number, dr7: number) => [...movEax(addr), ...movDrEax(0), ...movEax(dr7), ...movDrEax(7)];
const ARM_LENGTH = 16;
const DATA = 0x2000;

describe('debug registers as registers', () => {
  it('read DR6 = 0xFFFF0FF0 and DR7 = 0x400 after reset; DR4 and DR5 alias DR6 and DR7 without CR4.DE', () => {
    const cpu = run([...movEaxDr(4), 0x89, 0xc3, ...movEaxDr(5)]);
    expect(cpu.r32[3] >>> 0).toBe(0xffff0ff0);
    expect(cpu.r32[0] >>> 0).toBe(0x400);
  });

  it('keep DR6 and DR7 fixed bits on a write of zero', () => {
    const cpu = run([...movEax(0), ...movDrEax(6), ...movDrEax(7), ...movEaxDr(6), 0x89, 0xc3, ...movEaxDr(7)]);
    expect(cpu.r32[3] >>> 0).toBe(0xffff0ff0);
    expect(cpu.r32[0] >>> 0).toBe(0x400);
  });

  it('MOV to or from a debug register with DR7.GD set is a #DB fault before the MOV, with DR6.BD', () => {
    const code = [...movEax(0x2400), ...movDrEax(7), ...movEaxDr(0)];
    const cpu = run(code);
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + 8);
    expect(cpu.dr[6]! >>> 0).toBe(0xffff2ff0);
  });

  it('DR4 is #UD with CR4.DE set', () => {
    const cpu = run(movEaxDr(4), (c) => { c.cr4 = 1 << 3; });
    expect(cpu.caught?.vector).toBe(Vector.UD);
  });
});

describe('instruction breakpoints', () => {
  it('fault before the instruction, with B0 in DR6; RF set lets it run once', () => {
    const target = CODE + ARM_LENGTH;
    const code = [...arm(target, dr7For0(0, 0)), ...movEax(7), 0x90];
    const cpu = run(code);
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(target);
    expect(cpu.r32[0]).toBe(dr7For0(0, 0));
    expect(cpu.dr[6]! & 0xf).toBe(1);
    // What an IRET with RF set in the frame leaves: the instruction runs, RF is gone after it, and the breakpoint stays armed.
    cpu.flags |= RF;
    step(cpu);
    expect(cpu.r32[0]).toBe(7);
    expect(cpu.flags & RF).toBe(0);
    cpu.eip = target;
    expect(() => step(cpu)).toThrow(CpuException);
  });
});

describe('data breakpoints', () => {
  it('a write breakpoint traps after the store, EIP past it, B0 set', () => {
    const code = [...arm(DATA, dr7For0(1, 3)), ...storeEax(DATA), 0x90];
    const cpu = run(code);
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + ARM_LENGTH + 5);
    expect(cpu.ram32[DATA >>> 2]).toBe(dr7For0(1, 3));
    expect(cpu.dr[6]! >>> 0).toBe(0xffff0ff1);
  });

  it('a write breakpoint ignores reads; a read/write one does not', () => {
    expect(run([...arm(DATA, dr7For0(1, 3)), ...loadEax(DATA), 0x90]).caught).toBeUndefined();
    expect(run([...arm(DATA, dr7For0(3, 3)), ...loadEax(DATA), 0x90]).caught?.vector).toBe(Vector.DB);
  });

  it('matches any byte of the access inside the aligned range (a 2-byte breakpoint at DATA+3 covers DATA+2..3)', () => {
    const hits = (offset: number) => run([...arm(DATA + 3, dr7For0(1, 1)), ...storeByte(DATA + offset), 0x90]).caught?.vector;
    expect(hits(1)).toBeUndefined();
    expect(hits(2)).toBe(Vector.DB);
    expect(hits(3)).toBe(Vector.DB);
    expect(hits(4)).toBeUndefined();
    // A dword store at DATA covers the word at DATA+2.
    expect(run([...arm(DATA + 3, dr7For0(1, 1)), ...storeEax(DATA), 0x90]).caught?.vector).toBe(Vector.DB);
  });

  it('stops a REP STOSB after the iteration that hit it, at the REP, with RF set and ECX counting what is left', () => {
    // EDI = DATA, ECX = 8, AL = 0x55; rep stosb; breakpoint on DATA+2.
    const setup = [0xbf, ...movEax(DATA).slice(1), 0xb9, 8, 0, 0, 0, 0xb0, 0x55];
    const code = [...arm(DATA + 2, dr7For0(1, 0)), ...setup, 0xf3, 0xaa, 0x90];
    const cpu = run(code);
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + ARM_LENGTH + setup.length);
    expect(cpu.r32[1]).toBe(5);
    expect(cpu.flags & RF).toBe(RF);
  });
});

describe('single step', () => {
  it('traps after each instruction while TF is set, with BS in DR6', () => {
    const cpu = run([0x90, 0x90], (c) => { c.flags |= TF; });
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + 1);
    expect(cpu.dr[6]! & (1 << 14)).toBe(1 << 14);
  });

  it('a POPF that sets TF is not stepped; the instruction after it is', () => {
    // push 0x102 (TF); popf; nop; nop
    const cpu = run([0x68, 0x02, 0x01, 0, 0, 0x9d, 0x90, 0x90]);
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + 7);
  });

  it('a POPF that clears TF is still stepped', () => {
    const cpu = run([0x9d, 0x90], (c) => { c.ram32[(0x8000 - 4) >>> 2] = 0x2; c.r32[4] = 0x8000 - 4; c.flags |= TF; });
    expect(cpu.caught?.vector).toBe(Vector.DB);
    expect(cpu.eip).toBe(CODE + 1);
    expect(cpu.flags & TF).toBe(0);
  });
});
