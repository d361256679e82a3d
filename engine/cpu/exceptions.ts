// Guest exceptions unwind the interpreter with one dedicated class, caught
// once in the run loop (as Bochs and v86 do with longjmp/throw). Nothing else
// in the engine uses exceptions for control flow.

export const enum Vector {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8,
  TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19,
}

export const VECTOR_NAMES: readonly string[] = [
  '#DE divide error', '#DB debug', 'NMI', '#BP breakpoint', '#OF overflow',
  '#BR bound range exceeded', '#UD invalid opcode', '#NM device not available',
  '#DF double fault', 'coprocessor segment overrun', '#TS invalid TSS',
  '#NP segment not present', '#SS stack-segment fault', '#GP general protection',
  '#PF page fault', 'reserved (15)', '#MF x87 floating-point error',
  '#AC alignment check', '#MC machine check', '#XM SIMD floating-point exception',
];

export function vectorName(vector: number): string {
  return VECTOR_NAMES[vector] ?? `vector ${vector}`;
}

/** Vectors whose delivery pushes an error code (SDM Vol. 3, Table 6-1). */
export function pushesErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/** A fault or trap raised by the guest's instruction; the run loop delivers it. */
export class CpuException {
  constructor(
    readonly vector: number,
    /** -1 when the vector pushes no error code. */
    readonly errorCode: number,
    /** Why, for people: "RDMSR at CPL 3", "x87 instruction FLD; compile with -mgeneral-regs-only". */
    readonly detail: string = '',
  ) {}
}

/**
 * A compiled block leaves before its end, as a fault leaves it (the
 * instructions before `i` retired, EIP at `ip0`), and the run goes on at
 * ip0. Two reasons: the block reached a device's registers (memory-mapped
 * I/O), which it must not touch, since a device reads the virtual time the
 * block keeps in a local, and a store may make an interrupt deliverable;
 * thrown before the access, and that instruction is never compiled again
 * (BlockCache.interpretInstruction). Or a store of the block dropped compiled code
 * (CPU.codeChanged): thrown after the storing instruction, whose successor
 * may no longer be the bytes the block was made from.
 */
export const LEAVE_BLOCK = { reason: 'a compiled block left before its end' } as const;

/** The machine cannot go on: triple fault, or something the lab PC does not model. */
export class MachineStop {
  constructor(
    readonly reason: 'triple-fault' | 'unsupported',
    readonly detail: string,
  ) {}
}
