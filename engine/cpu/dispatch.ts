// The dispatch table: prefixes, and the one- and two-byte opcode maps, built
// once from the instruction families in ops/ (see opcode-family.ts); and from
// the same families, the compiled forms the block compiler writes.
//
// Each map has two halves, for 32-bit and 16-bit operand size, so handlers
// never test the 0x66 prefix themselves unless they share code across sizes.
// Index: opcode | (0x100 when the 0x66 prefix is present) | (0x200 for the 0F map).

import type { CPU } from './cpu.ts';
import { Seg } from './cpu.ts';
import { PREFIXES_TO_MEASURE } from './decode.ts';
import { hexDigits } from '../hex.ts';
import { buildEmitTable, buildOpcodeTable, O16, OpcodeFamily, TWO_BYTE, type Emit, type Op } from './opcode-family.ts';
import { arithOpcodes } from './ops/arith.ts';
import { atomicOpcodes } from './ops/atomic.ts';
import { bcdOpcodes } from './ops/bcd.ts';
import { bitsOpcodes } from './ops/bits.ts';
import { controlOpcodes } from './ops/control.ts';
import { interruptOpcodes } from './ops/interrupt.ts';
import { moveOpcodes } from './ops/move.ts';
import { multiplyOpcodes } from './ops/multiply.ts';
import { segmentOpcodes } from './ops/segment.ts';
import { shiftOpcodes } from './ops/shift.ts';
import { stackOpcodes } from './ops/stack.ts';
import { stringOpcodes } from './ops/string.ts';
import { systemOpcodes } from './ops/system.ts';
import { x87Opcodes } from './ops/x87.ts';

export type { Op };

/** Execute one instruction at CS:EIP (prefix state must be reset by the caller). */
export function dispatch(cpu: CPU): void {
  const b = cpu.fetch8();
  table[b | (cpu.o16 ? O16 : 0)]!(cpu);
}

function twoByte(cpu: CPU): void {
  const b = cpu.fetch8();
  table[b | TWO_BYTE | (cpu.o16 ? O16 : 0)]!(cpu);
}

/** A prefix byte: note it, then decode the rest of the instruction. */
function prefix(cpu: CPU): void {
  // From here on the instruction could pass 15 bytes: send its fetches to the slow path, which measures them.
  if (++cpu.prefixCount === PREFIXES_TO_MEASURE) cpu.fetchPage = -1;
  dispatch(cpu);
}

/** #UD: the handler of every opcode no family defines. */
export function undefinedOpcode(cpu: CPU): void {
  cpu.eip = cpu.ip0;
  const bytes: string[] = [];
  for (let i = 0; i < 4; i++) bytes.push(hexDigits(cpu.fetch8(), 2));
  cpu.undefinedOpcode(`undefined opcode ${bytes.join(' ')}`);
}

const prefixOpcodes = new OpcodeFamily('dispatch.ts (prefixes)');
prefixOpcodes.def(0x0f, twoByte);
prefixOpcodes.def(0x26, (cpu) => { cpu.segOvr = Seg.ES; prefix(cpu); });
prefixOpcodes.def(0x2e, (cpu) => { cpu.segOvr = Seg.CS; prefix(cpu); });
prefixOpcodes.def(0x36, (cpu) => { cpu.segOvr = Seg.SS; prefix(cpu); });
prefixOpcodes.def(0x3e, (cpu) => { cpu.segOvr = Seg.DS; prefix(cpu); });
prefixOpcodes.def(0x64, (cpu) => { cpu.segOvr = Seg.FS; prefix(cpu); });
prefixOpcodes.def(0x65, (cpu) => { cpu.segOvr = Seg.GS; prefix(cpu); });
prefixOpcodes.def(0x66, (cpu) => { cpu.o16 = true; prefix(cpu); });
prefixOpcodes.def(0x67, (cpu) => { cpu.a16 = true; prefix(cpu); });
// LOCK is accepted: the lab PC has one CPU, so every instruction is atomic already.
prefixOpcodes.def(0xf0, prefix);
prefixOpcodes.def(0xf2, (cpu) => { cpu.rep = 2; prefix(cpu); });
prefixOpcodes.def(0xf3, (cpu) => { cpu.rep = 1; prefix(cpu); });

const families = [
  prefixOpcodes,
  arithOpcodes, multiplyOpcodes, bcdOpcodes, shiftOpcodes, bitsOpcodes,
  moveOpcodes, stackOpcodes, stringOpcodes, atomicOpcodes, controlOpcodes,
  interruptOpcodes, segmentOpcodes, systemOpcodes, x87Opcodes,
];

/**
 * Every opcode the lab PC has, one handler each; the rest raise #UD. Every
 * slot is filled (a byte, TWO_BYTE and O16 make an index below TABLE_SIZE),
 * so the readers assert the handler they index with `!`.
 */
export const table: Op[] = buildOpcodeTable(families, undefinedOpcode);

/** The block compiler's side of the same map: each opcode's compiled form, where it has one (see opcode-family.ts). */
export const emitters: readonly (Emit | undefined)[] = buildEmitTable(families);
