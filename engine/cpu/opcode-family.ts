// One instruction family's entries in the opcode maps. Each ops/ file fills one
// family; dispatch.ts builds the dispatch table from the list of families and
// refuses an opcode that two of them define. Beside an opcode's handler, the
// family may give its compiled form (`emit`): what the block compiler writes
// for the same instruction. Both come from the same entry of the same map, and
// the table refuses a compiled form for an opcode its family does not
// interpret.
//
// Index of an entry: opcode | (0x100 for the 16-bit operand-size half) | (0x200 for the 0F map).

import type { CPU } from './cpu.ts';
import type { CodeReader } from './compile/code-reader.ts';
import type { Compiled, InstructionCompiler } from './compile/instruction-compiler.ts';
import { hexByte } from '../hex.ts';

export type Op = (cpu: CPU) => void;

/**
 * An instruction's compiled form: JavaScript for the instruction whose opcode
 * byte `op` (the last one, after any 0F or 66) was just read from `code`, or
 * null to leave this encoding to the interpreter. `c` carries the block's
 * state from one instruction to the next and writes the common parts.
 */
export type Emit = (c: InstructionCompiler, code: CodeReader, op: number) => Compiled | null;

export const O16 = 0x100;
export const TWO_BYTE = 0x200;
export const TABLE_SIZE = 0x400;

export interface OpcodeEntry {
  readonly index: number;
  readonly op: Op;
}

export class OpcodeFamily {
  readonly entries: OpcodeEntry[] = [];
  readonly emitters: { readonly index: number; readonly emit: Emit }[] = [];

  /** `name` says where the family lives, for the error when two families claim one opcode. */
  constructor(readonly name: string) {}

  /** Define `op` for `opcode` (0x0F-prefixed when `twoByte`) at the operand sizes given. */
  readonly def = (opcode: number, op: Op, sizes: '16' | '32' | 'both' = 'both', twoByte = false): void => {
    const base = opcode | (twoByte ? TWO_BYTE : 0);
    if (sizes !== '16') this.entries.push({ index: base, op });
    if (sizes !== '32') this.entries.push({ index: base | O16, op });
  };

  /** Define a one-byte opcode with separate 32- and 16-bit handlers. */
  readonly def2 = (opcode: number, op32: Op, op16: Op): void => {
    this.entries.push({ index: opcode, op: op32 }, { index: opcode | O16, op: op16 });
  };

  /** Define a two-byte (0F xx) opcode for both sizes, or separate handlers per size. */
  readonly def0F = (opcode: number, op32: Op, op16: Op = op32): void => {
    this.entries.push({ index: opcode | TWO_BYTE, op: op32 }, { index: opcode | TWO_BYTE | O16, op: op16 });
  };

  /**
   * The compiled form of `opcodes` (one-byte, 32-bit operand size; with
   * `map`, 0F-prefixed or 66-prefixed), which this family must also define.
   */
  readonly emit = (opcodes: number | readonly number[], emit: Emit, map: 'one-byte' | '0F' | '66' = 'one-byte'): void => {
    const bits = map === '0F' ? TWO_BYTE : map === '66' ? O16 : 0;
    for (const opcode of typeof opcodes === 'number' ? [opcodes] : opcodes) this.emitters.push({ index: opcode | bits, emit });
  };
}

/** `count` opcodes from `first` on (a register in the low bits, a condition code): 0x50..0x57 is range(0x50, 8). */
export function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => first + k);
}

/** The opcode an index names, as the SDM writes it: `66 0F B1`. */
export function describeOpcode(index: number): string {
  return `${index & O16 ? '66 ' : ''}${index & TWO_BYTE ? '0F ' : ''}${hexByte(index & 0xff)}`;
}

/**
 * The dispatch table: every family's entries, in the order given; `fallback`
 * everywhere no family defines. Two definitions of one opcode are a bug in the
 * engine, reported here when the table is built rather than left to the last one.
 */
export function buildOpcodeTable(families: readonly OpcodeFamily[], fallback: Op): Op[] {
  const table: Op[] = new Array<Op>(TABLE_SIZE).fill(fallback);
  const owner: (string | undefined)[] = new Array<string | undefined>(TABLE_SIZE);
  for (const family of families) {
    for (const { index, op } of family.entries) {
      const previous = owner[index];
      if (previous !== undefined) {
        throw new Error(`opcode ${describeOpcode(index)} is defined twice, by ${previous} and by ${family.name}; an opcode has one handler`);
      }
      owner[index] = family.name;
      table[index] = op;
    }
  }
  return table;
}

/**
 * The compiled forms, by the same index as the dispatch table; undefined where
 * the compiler leaves the opcode to the interpreter. A compiled form needs its
 * family's handler for the same opcode: the one the differential tests hold it to.
 */
export function buildEmitTable(families: readonly OpcodeFamily[]): (Emit | undefined)[] {
  const emitters = new Array<Emit | undefined>(TABLE_SIZE);
  for (const family of families) {
    for (const { index, emit } of family.emitters) {
      if (!family.entries.some((e) => e.index === index)) {
        throw new Error(`${family.name} compiles opcode ${describeOpcode(index)} but does not interpret it; an instruction's compiled form sits beside its handler`);
      }
      if (emitters[index] !== undefined) throw new Error(`opcode ${describeOpcode(index)} is compiled twice, the second time by ${family.name}`);
      emitters[index] = emit;
    }
  }
  return emitters;
}
