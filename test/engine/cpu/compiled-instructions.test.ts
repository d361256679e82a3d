// Every instruction the block compiler knows, against the interpreter: for
// each opcode (one-byte, 0F two-byte, and 66-prefixed), a few dozen seeded
// random encodings (ModRM, SIB, displacement, immediate) on random registers,
// flags and memory, most after a random flag-producing instruction in the
// same block (what the compiler carries from one instruction to the next). Where the compiler takes the
// instruction, the run through compiled code (the real run loop, block cache
// threshold 1) must leave exactly what the interpreter leaves: every
// register, EIP, EFLAGS, the retired count, the modelled cycles, all of RAM,
// or the same exception at the same place.

import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { compileBlock } from '../../../engine/cpu/compile/block-compiler.ts';
import { runInstructions, step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { CODE, makeCpu, outcomeOf, type Outcome } from './harness.ts';

const HLT = 0xf4;
const CASES_PER_OPCODE = 24;
const RAM_BYTES = 1 << 19;

/** xorshift32: the same cases on every run. */
function generator(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return s >>> 0;
  };
}

interface Case {
  /** A flag-producing instruction before it (or none), so that what it reads of the flags is tested too. */
  lead: number[];
  bytes: number[];
  registers: number[];
  flags: number;
  lazy: [number, number];
  memorySeed: number;
}

const EDGES = [0, -1, 0x7fffffff, 0x80000000 | 0, 0x40000000, 0xffff, 0x8000, 0x7f, 0x80, 0xff, 1];

/** A register value: an edge of some operand size, any value, or (as a base or index) an address in RAM. */
function registerValue(next: () => number): number {
  switch (next() % 8) {
    case 0: case 1: return next() | 0;
    case 2: return EDGES[next() % EDGES.length]!;
    case 3: return next() % 64;
    default: return (0x10000 + (next() % 0x60000)) & ~(next() % 2 === 0 ? 3 : 0);
  }
}

/** Instructions that set the flags as gcc's code does before a Jcc, SETcc, CMOVcc, ADC or INC: register forms. */
const LEADS: ((r: number) => number[])[] = [
  () => [],
  () => [],
  (r) => [0x39, 0xc0 | (r & 0x3f)], // CMP r/m32, r32
  (r) => [0x29, 0xc0 | (r & 0x3f)], // SUB
  (r) => [0x01, 0xc0 | (r & 0x3f)], // ADD
  (r) => [0x85, 0xc0 | (r & 0x3f)], // TEST
  (r) => [0x31, 0xc0 | (r & 0x3f)], // XOR
  (r) => [0x38, 0xc0 | (r & 0x3f)], // CMP r/m8, r8
  (r) => [0x83, 0xf8 | (r & 7), (r >>> 8) & 0xff], // CMP r/m32, imm8
  (r) => [0x40 | (r & 7)], // INC
  (r) => [0x48 | (r & 7)], // DEC
  (r) => [0xd1, 0xe0 | (r & 7)], // SHL by 1
  (r) => [0xc1, 0xe8 | (r & 7), (r >>> 8) & 31], // SHR by imm8
  (r) => [0xf7, 0xd8 | (r & 7)], // NEG
];

function makeCase(prefix: number[], next: () => number): Case {
  const lead = LEADS[next() % LEADS.length]!(next());
  const bytes = [...prefix];
  for (let i = 0; i < 10; i++) bytes.push(next() & 0xff);
  // ModRM: half of them a register operand, so both forms are common.
  if (next() % 2 === 0) bytes[prefix.length] = 0xc0 | (next() & 0x3f);
  const registers = Array.from({ length: 8 }, () => registerValue(next));
  registers[4] = 0x78000 + (next() % 0x800) * 4; // ESP: a stack in RAM with room both ways
  return { lead, bytes, registers, flags: next() & 0x8d5 | (next() % 4 === 0 ? 0x400 : 0), lazy: [next() | 0, next() | 0], memorySeed: next() };
}

function prepare(c: Case, length: number | null): CPU {
  const cpu = makeCpu(RAM_BYTES);
  const fill = generator(c.memorySeed);
  const words = new Int32Array(cpu.ram.buffer, 0, RAM_BYTES / 4);
  for (let i = 0; i < words.length; i += 64) words[i] = fill() | 0; // sparse: every 256th byte set
  cpu.ram.set([...c.lead, ...c.bytes], CODE);
  if (length !== null) cpu.ram[CODE + length] = HLT; // the block is this one instruction
  cpu.eip = CODE;
  cpu.r32.set(c.registers);
  cpu.setArithFlags(c.flags);
  cpu.flags = (cpu.flags & ~0x400) | (c.flags & 0x400);
  // Half the cases start from a lazy record (a SUB), the other half from materialized flags.
  if (c.lazy[0] & 1) cpu.setLazy(3, c.lazy[0], c.lazy[1], (c.lazy[0] - c.lazy[1]) | 0, 4);
  return cpu;
}

function faultOf(e: unknown): string {
  if (e instanceof CpuException) return `vector ${e.vector} error ${e.errorCode}`;
  throw e;
}

/** Instructions in a case: the lead, if any, and the one tested. */
const stepsOf = (c: Case) => (c.lead.length > 0 ? 2 : 1);

function interpreted(c: Case, length: number | null): Outcome {
  const cpu = prepare(c, length);
  let fault = '';
  try {
    for (let i = 0; i < stepsOf(c); i++) step(cpu);
  } catch (e) {
    fault = faultOf(e);
  }
  return outcomeOf(cpu, fault);
}

/** Through the run loop with a block cache that compiles at first sight; null when the compiler does not take it whole. */
function compiled(c: Case, length: number): Outcome | null {
  const cpu = prepare(c, length);
  if (compileBlock(cpu, CODE, CODE).length !== stepsOf(c)) {
    cpu.tlb.release();
    return null;
  }
  cpu.blocks = new BlockCache(cpu, 1);
  let fault = '';
  try { runInstructions(cpu, stepsOf(c)); } catch (e) { fault = faultOf(e); }
  const after = outcomeOf(cpu, fault);
  if (cpu.blocks.compiled !== 1) throw new Error('the instructions did not run compiled');
  cpu.blocks.release();
  return after;
}

/** The length of the case's code, from an interpreted run (EIP after it, when it neither faulted nor jumped). */
function lengthOf(c: Case): number | null {
  const cpu = prepare(c, null);
  try {
    for (let i = 0; i < stepsOf(c); i++) step(cpu);
  } catch {
    cpu.tlb.release();
    return null;
  }
  const length = cpu.eip - CODE;
  cpu.tlb.release();
  return length > c.lead.length && length <= c.lead.length + 15 ? length : null;
}

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

function checkOpcodes(prefixes: number[][]): { compiled: number; opcodes: Set<string> } {
  let count = 0;
  const opcodes = new Set<string>();
  for (const prefix of prefixes) {
    const next = generator(0x9e3779b9 ^ (prefix.reduce((a, b) => a * 257 + b, 0)));
    for (let i = 0; i < CASES_PER_OPCODE; i++) {
      const c = makeCase(prefix, next);
      // Most opcodes are not the compiler's: nothing to compare.
      const probe = prepare(c, null);
      const taken = compileBlock(probe, CODE, CODE).length >= stepsOf(c);
      probe.tlb.release();
      if (!taken) continue;
      // A branch or a fault leaves EIP elsewhere: the encoding's length then comes from a copy that ends in HLT
      // after every candidate length, the shortest the compiler takes whole.
      let length = lengthOf(c);
      if (length === null) {
        for (let n = c.lead.length + prefix.length; n <= c.lead.length + 11 && length === null; n++) {
          const candidate = prepare(c, n);
          if (compileBlock(candidate, CODE, CODE).length === stepsOf(c)) length = n;
          candidate.tlb.release();
        }
        if (length === null) continue;
      }
      const viaBlock = compiled(c, length);
      if (viaBlock === null) continue;
      const viaInterpreter = interpreted(c, length);
      if (JSON.stringify(viaBlock) !== JSON.stringify(viaInterpreter)) {
        expect.fail(`${hex([...c.lead, ...c.bytes].slice(0, length))} with registers ${c.registers.map((r) => (r >>> 0).toString(16)).join(',')}:\n` +
          `compiled    ${JSON.stringify(viaBlock)}\ninterpreted ${JSON.stringify(viaInterpreter)}`);
      }
      count++;
      opcodes.add(hex(prefix));
    }
  }
  return { compiled: count, opcodes };
}

describe('each compiled instruction does what the interpreter does', () => {
  it('one-byte opcodes', () => {
    const { compiled: n, opcodes } = checkOpcodes(Array.from({ length: 256 }, (_, op) => [op]).filter(([op]) => op !== 0x0f));
    // The compiler's one-byte repertoire: ALU forms, INC/DEC, PUSH/POP, MOV, LEA, group 1/2/3/5, jumps, calls...
    expect(opcodes.size).toBeGreaterThan(100);
    expect(n).toBeGreaterThan(100 * CASES_PER_OPCODE / 2);
  });

  it('two-byte opcodes (Jcc, SETcc, CMOVcc, MOVZX/MOVSX, IMUL) and 16-bit moves', () => {
    const twoByte = Array.from({ length: 256 }, (_, op) => [0x0f, op]);
    const sixteen = [0x89, 0x8b, 0xc7].map((op) => [0x66, op]);
    const { opcodes } = checkOpcodes([...twoByte, ...sixteen]);
    expect(opcodes.size).toBeGreaterThan(50);
    for (const op of ['0f 44', '0f 94', '0f 84', '0f b6', '0f bf', '0f af', '66 89', '66 c7']) expect(opcodes).toContain(op);
  });
});
