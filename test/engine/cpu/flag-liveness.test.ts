// Dead flag records (engine/cpu/compile/flag-liveness.ts): a compiled block
// leaves out the lazy record of an arithmetic instruction when a later one
// replaces it and nothing in between could see it. Whatever is left out, the
// compiled run must leave what the interpreter leaves, EFLAGS above all: at
// the end, at every budget, and at a fault between two flag-setting
// instructions, whose exception frame would hold the flags of the first.
// Besides the cases written out, 200 random blocks (a fixed seed) of flag
// producers, flag readers, loads that fault and stores that drop the block
// are compared with the interpreter at every point the compiled run stops:
// each rule of flag-liveness.ts, taken out, made them fail.

import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { Lazy } from '../../../engine/cpu/flags.ts';
import { compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import { CODE, enablePaging, makeCpu, outcomeOf, runToBudget, type Outcome } from './harness.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';

const HLT = 0xf4;
/** A page the tests map or leave not present. */
const DATA = 0x40000;

/**
 * Each flag-setting instruction's flags replaced by the next one's, with
 * only a register move between the first two:
 * add eax, ebx; mov ecx, eax; sub ecx, edx; shl ecx, 3; inc edx;
 * imul eax, eax, 3; adc ebx, ecx (reads imul's CF); cmp eax, edi; hlt
 */
const REPLACED = [0x01, 0xd8, 0x89, 0xc1, 0x29, 0xd1, 0xc1, 0xe1, 0x03, 0x42, 0x6b, 0xc0, 0x03, 0x11, 0xcb, 0x39, 0xf8, HLT];

/**
 * A product's record, replaced: FNV-1a's step and a division by 10 as gcc
 * writes it, each followed by a compare:
 * imul eax, eax, 0x01000193; cmp edx, ecx; mov eax, 0xcccccccd; mul esi; shr edx, 3; cmp edx, edi; hlt
 */
const PRODUCTS_REPLACED = [0x69, 0xc0, 0x93, 0x01, 0x00, 0x01, 0x39, 0xca, 0xb8, 0xcd, 0xcc, 0xcc, 0xcc, 0xf7, 0xe6, 0xc1, 0xea, 0x03, 0x39, 0xfa, HLT];

/** add eax, ebx; mov edi, [esi] (a #PF when DATA is not present); sub ecx, edx; hlt */
const LOAD_BETWEEN = [0x01, 0xd8, 0x8b, 0x3e, 0x29, 0xd1, HLT];

/** add eax, ebx; div esi (a #DE when ESI is 0); sub ecx, edx; hlt */
const DIVIDE_BETWEEN = [0x01, 0xd8, 0xf7, 0xf6, 0x29, 0xd1, HLT];

/** add eax, ebx; shl ecx, cl (changes no flag when CL is 0); hlt */
const SHIFT_BY_CL = [0x01, 0xd8, 0xd3, 0xe1, HLT];

/** add [ebx], eax (into the code's page: a store that drops the block); sub ecx, edx; hlt */
const STORE_THEN_REPLACED = [0x01, 0x03, 0x29, 0xd1, HLT];

/** inc ecx (CF from before the block); inc ecx; dec edx; xor eax, ecx (sets CF); hlt */
const CARRIES = [0x41, 0x41, 0x4a, 0x31, 0xc8, HLT];

/** inc ecx; inc ecx; hlt: the block ends with CF as it found it. */
const CARRIES_KEPT = [0x41, 0x41, HLT];

/**
 * `carry` (0 or 1): the block starts with CF that value in a SUB's lazy
 * record and the other in EFLAGS, so a carry read from the wrong place shows.
 */
function prepare(code: number[], registers: number[], present: boolean, carry?: number): CPU {
  const cpu = makeCpu();
  if (carry !== undefined) {
    cpu.flags = 0x2 | (carry ^ 1);
    cpu.setLazy(Lazy.Sub, carry ^ 1, carry, (carry ^ 1) - carry, 4);
  }
  cpu.ram.set(code, CODE);
  enablePaging(cpu, (pte) => {
    if (!present) pte[DATA >>> 12] = 0;
  });
  cpu.eip = CODE;
  registers.forEach((v, r) => { if (r !== 4) cpu.r32[r] = v; });
  return cpu;
}

function run(code: number[], registers: number[], present: boolean, budget: number, compiled: boolean, carry?: number): Outcome {
  return runToBudget(prepare(code, registers, present, carry), budget, compiled);
}

/** The compiled and the interpreted run agree at every budget; the whole run's outcome. */
function expectSame(code: number[], registers: number[], present = true, carry?: number): Outcome {
  const whole = run(code, registers, present, 1000, false, carry);
  expect(run(code, registers, present, 1000, true, carry)).toEqual(whole);
  for (let budget = 1; budget <= whole.retired + 1; budget++) {
    expect(run(code, registers, present, budget, true, carry)).toEqual(run(code, registers, present, budget, false, carry));
  }
  return whole;
}

/** The source of the block compiled at CODE, which holds every instruction before the HLT. */
function blockSource(code: number[], instructions: number): string {
  const block = compileBlock(prepare(code, [], true), CODE, CODE);
  expect(block.length).toBe(instructions);
  return block.run.toString();
}

/** How many lazy records the block compiled at CODE stores. */
function recordsStored(code: number[], instructions: number): number {
  return (blockSource(code, instructions).match(/cpu\.lzOp = /g) ?? []).length;
}

describe('a compiled block stores only the flag records something can see', () => {
  it('leaves out each record a later instruction replaces, and ends with the flags the interpreter has', () => {
    // IMUL's record and CMP's are left: each before IMUL is replaced, ADC reads IMUL's CF, and CMP replaces ADC's.
    expect(recordsStored(REPLACED, 8)).toBe(2);
    // eax, ecx, edx, ebx, (esp), ebp, esi, edi: carries and overflows either way, and a zero.
    const cases = [
      [1, 0, 0, 2, 0, 0, 0, 3],
      [0x7fffffff, 0, 0x80000000, 1, 0, 0, 0, 0],
      [0xffffffff, 0, 0xffffffff, 1, 0, 0, 0, 0x55555555],
      [0x40000000, 0, 5, 0x40000000, 0, 0, 0, 0x80000000],
    ];
    for (const registers of cases) expect(expectSame(REPLACED, registers).fault).toBe('');
  });

  it("leaves out a multiply's record when a later instruction replaces it", () => {
    // Only the last CMP's record is left: MUL's high half is computed, not read from the CPU.
    const source = blockSource(PRODUCTS_REPLACED, 6);
    expect(source).toContain('h.mulHighUnsigned');
    expect(source.match(/cpu\.lzOp = /g)).toHaveLength(1);
    for (const registers of [[0x12345678, 7, 7, 0, 0, 0, 1234567, 0], [3, 1, 2, 0, 0, 0, 0xffffffff, 0x1999999]]) expectSame(PRODUCTS_REPLACED, registers);
  });

  it('keeps the record before an instruction that may fault, which the exception frame would show', () => {
    expect(recordsStored(LOAD_BETWEEN, 3)).toBe(2);
    expect(recordsStored(DIVIDE_BETWEEN, 3)).toBe(2);
    // ADD's flags differ from SUB's in each case: a lost record would show.
    const registers = [0xffffffff, 5, 7, 1, 0, 0, DATA, 0];
    expect(expectSame(LOAD_BETWEEN, registers, false).fault).toBe('vector 14');
    expect(expectSame(LOAD_BETWEEN, registers, true).fault).toBe('');
    expect(expectSame(DIVIDE_BETWEEN, [...registers.slice(0, 6), 0, 0]).fault).toBe('vector 0');
    expect(expectSame(DIVIDE_BETWEEN, [0x7fffffff, 5, 0, 1, 0, 0, 9, 0]).fault).toBe('');
  });

  it("leaves out the carry INC and DEC keep once an instruction that sets CF follows, and only then", () => {
    expect(blockSource(CARRIES, 4)).not.toContain('keepCarry');
    expect(recordsStored(CARRIES, 4)).toBe(1);
    expect(blockSource(CARRIES_KEPT, 2)).toContain('cpu.keepCarry();');
    expect(recordsStored(CARRIES_KEPT, 2)).toBe(1);
    for (const cf of [0, 1]) {
      for (const ecx of [0, 0x7ffffffe, 0xfffffffe]) {
        expectSame(CARRIES, [0x55, ecx, 0, 0], true, cf);
        expect(expectSame(CARRIES_KEPT, [0x55, ecx, 0, 0], true, cf).flags & 1).toBe(cf);
      }
    }
  });

  it('keeps the record of an instruction whose store may leave the block after it', () => {
    // The store drops the page's code: the block leaves with ADD retired, and what follows sees ADD's flags.
    const registers = [0x7fffffff, 5, 7, CODE + 0x100];
    const cpu = prepare(STORE_THEN_REPLACED, registers, true);
    cpu.blocks = new BlockCache(cpu, 1);
    runInstructions(cpu, 2);
    expect(cpu.blocks.compiled).toBe(1);
    expect(cpu.retired).toBe(1);
    cpu.blocks.release();
    expect(outcomeOf(cpu, '')).toEqual(run(STORE_THEN_REPLACED, registers, true, 1, false));
  });

  it('keeps the record before an instruction that may leave the flags as they were', () => {
    expect(recordsStored(SHIFT_BY_CL, 2)).toBe(2);
    for (const cl of [0, 1, 31]) expectSame(SHIFT_BY_CL, [0xffffffff, 0x12340000 | cl, 0, 1]);
  });

  it('random blocks of flag producers, flag readers, loads that fault and stores that drop code: every stop as the interpreter has it', () => {
    // A fixed seed: the same blocks on every run.
    let seed = 0x6d2b79f5;
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // EAX ECX EDX ESI EDI take results; EBX points into DATA (mapped or not), EBP into the code's page.
    const WORK = [0, 1, 2, 6, 7];
    const reg = () => WORK[random(WORK.length)]!;
    const modrm = (mod: number, r: number, rm: number) => (mod << 6) | (r << 3) | rm;
    const menu: (() => number[])[] = [
      () => [[0x01, 0x29, 0x31, 0x21, 0x09, 0x39, 0x85, 0x11, 0x19][random(9)]!, modrm(3, reg(), reg())], // ALU r/m32, r32
      () => [0x83, modrm(3, random(8), reg()), random(256)], // ALU r/m32, imm8
      () => [0x40 + reg()], () => [0x48 + reg()], // INC, DEC
      () => [0xc1, modrm(3, [4, 5, 7][random(3)]!, reg()), random(40)], // SHL SHR SAR by imm8 (0 and over 31 too)
      () => [0xd3, modrm(3, [4, 5, 7][random(3)]!, reg())], // by CL
      () => [0x6b, modrm(3, reg(), reg()), random(256)], // IMUL r32, r/m32, imm8
      () => [0x69, modrm(3, reg(), reg()), random(256), random(256), random(256), random(256)], // IMUL r32, r/m32, imm32
      () => [0x0f, 0xaf, random(2) === 0 ? modrm(3, reg(), reg()) : modrm(0, reg(), 3)], // IMUL r32, r/m32 (from [EBX] too)
      () => [0xf7, modrm(3, 4 + random(2), reg())], // MUL, IMUL EDX:EAX, r/m32
      () => [0xf7, modrm(3, 3, reg())], // NEG
      () => [0x89, modrm(3, reg(), reg())], // MOV
      () => [0x0f, 0x90 + random(16), modrm(3, 0, [0, 1, 2][random(3)]!)], // SETcc AL CL DL
      () => [0x0f, 0x40 + random(16), modrm(3, reg(), reg())], // CMOVcc
      () => [0x8b, modrm(0, reg(), 3)], // load from [EBX]
      () => [0x89, ...(random(2) === 0 ? [modrm(0, reg(), 3)] : [modrm(1, reg(), 5), 0])], // store to [EBX], or to [EBP + 0] in the code's page
      () => [0x01, ...(random(2) === 0 ? [modrm(0, reg(), 3)] : [modrm(1, reg(), 5), 0])], // ADD to memory
    ];
    let stops = 0;
    for (let n = 0; n < 200; n++) {

      const code = Array.from({ length: 4 + random(9) }, () => menu[random(menu.length)]!()).flat();
      code.push(HLT);
      const registers = [random(1 << 30) * 4 + random(4), random(64), random(1 << 30) - (1 << 29), DATA, 0, CODE + 0x800, random(1 << 30) * 4, random(3)];
      const present = random(4) !== 0;
      const carry = random(2);
      // The compiled run, looked at wherever the run loop stops it (after a store that dropped code, say).
      const cpu = prepare(code, registers, present, carry);
      cpu.blocks = new BlockCache(cpu, 1);
      for (;;) {
        cpu.stopRequested = false;
        let fault = '';
        try {
          runInstructions(cpu, 1000);
        } catch (e) {
          if (!(e instanceof CpuException)) throw e;
          fault = `vector ${e.vector}`;
        }
        const done = fault !== '' || cpu.halted || cpu.retired >= 1000;
        const retired = cpu.retired;
        if (done) cpu.blocks.release();
        const at = outcomeOf(cpu, fault, done);
        stops++;
        expect(at, `block ${n}: ${code.map((b) => b.toString(16)).join(' ')}, stopped at ${retired}`).toEqual(run(code, registers, present, done ? 1000 : retired, false, carry));
        if (done) break;
      }
    }
    expect(stops).toBeGreaterThan(50);
  });
});

