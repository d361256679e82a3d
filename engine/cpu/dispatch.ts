// Opcode dispatch: prefixes, and the one- and two-byte opcode maps.
//
// Each map has two halves, for 32-bit and 16-bit operand size, so handlers
// never test the 0x66 prefix themselves unless they share code across sizes.
// Index: opcode | (0x100 when the 0x66 prefix is present) | (0x200 for the 0F map).

import type { CPU } from './cpu.ts';
import { Seg } from './cpu.ts';
import { CpuException, Vector } from './exceptions.ts';

export type Op = (cpu: CPU) => void;

const O16 = 0x100;
const TWO_BYTE = 0x200;

export const table: Op[] = new Array(0x400);

/** Register `op` for `opcode` (0x0F-prefixed when `twoByte`) at the operand sizes given. */
export function def(opcode: number, op: Op, sizes: '16' | '32' | 'both' = 'both', twoByte = false): void {
  const base = opcode | (twoByte ? TWO_BYTE : 0);
  if (sizes !== '16') table[base] = op;
  if (sizes !== '32') table[base | O16] = op;
}

/** Register a one-byte opcode with separate 32- and 16-bit handlers. */
export function def2(opcode: number, op32: Op, op16: Op): void {
  table[opcode] = op32;
  table[opcode | O16] = op16;
}

/** Register a two-byte (0F xx) opcode for both sizes, or separate handlers per size. */
export function def0F(opcode: number, op32: Op, op16: Op = op32): void {
  table[opcode | TWO_BYTE] = op32;
  table[opcode | TWO_BYTE | O16] = op16;
}

/** Execute one instruction at CS:EIP (prefix state must be reset by the caller). */
export function dispatch(cpu: CPU): void {
  const b = cpu.fetch8();
  table[b | (cpu.o16 ? O16 : 0)](cpu);
}

function twoByte(cpu: CPU): void {
  const b = cpu.fetch8();
  table[b | TWO_BYTE | (cpu.o16 ? O16 : 0)](cpu);
}

/** A prefix byte: note it, then decode the rest of the instruction. */
function prefix(cpu: CPU): void {
  // SDM 2.3.11: an instruction longer than 15 bytes raises #GP(0).
  if (++cpu.prefixCount >= 15) throw new CpuException(Vector.GP, 0, 'instruction longer than 15 bytes');
  dispatch(cpu);
}

function undefinedOpcode(cpu: CPU): void {
  cpu.eip = cpu.ip0;
  const bytes: string[] = [];
  for (let i = 0; i < 4; i++) bytes.push(cpu.fetch8().toString(16).padStart(2, '0'));
  cpu.undefinedOpcode(`undefined opcode ${bytes.join(' ')}`);
}

for (let i = 0; i < table.length; i++) table[i] = undefinedOpcode;

def(0x0f, twoByte);
def(0x26, (cpu) => { cpu.segOvr = Seg.ES; prefix(cpu); });
def(0x2e, (cpu) => { cpu.segOvr = Seg.CS; prefix(cpu); });
def(0x36, (cpu) => { cpu.segOvr = Seg.SS; prefix(cpu); });
def(0x3e, (cpu) => { cpu.segOvr = Seg.DS; prefix(cpu); });
def(0x64, (cpu) => { cpu.segOvr = Seg.FS; prefix(cpu); });
def(0x65, (cpu) => { cpu.segOvr = Seg.GS; prefix(cpu); });
def(0x66, (cpu) => { cpu.o16 = true; prefix(cpu); });
def(0x67, (cpu) => { cpu.a16 = true; prefix(cpu); });
// LOCK is accepted: the lab PC has one CPU, so every instruction is atomic already.
def(0xf0, prefix);
def(0xf2, (cpu) => { cpu.rep = 2; prefix(cpu); });
def(0xf3, (cpu) => { cpu.rep = 1; prefix(cpu); });
