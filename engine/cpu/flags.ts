// EFLAGS and lazy flag evaluation.
//
// Arithmetic instructions do not compute their six status flags. They record
// the operation, its operands and its result (the "lazy record"), and a flag
// is computed only when something reads it: a Jcc, SETcc, PUSHF, an interrupt.
// Most results are overwritten before any flag is read, so this saves most of
// the flag work on the hot path.

export const CF = 1 << 0;
export const PF = 1 << 2;
export const AF = 1 << 4;
export const ZF = 1 << 6;
export const SF = 1 << 7;
export const TF = 1 << 8;
export const IF = 1 << 9;
export const DF = 1 << 10;
export const OF = 1 << 11;
export const IOPL = 3 << 12;
export const NT = 1 << 14;
export const RF = 1 << 16;
export const VM = 1 << 17;
export const AC = 1 << 18;
export const ID = 1 << 21;

/** The six status flags that arithmetic produces. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** Bit 1 of EFLAGS always reads as 1. */
export const FIXED_ONE = 1 << 1;
/** Flags software can change at all on this CPU (no VM86, no VIF/VIP). */
export const WRITABLE = ARITH | TF | IF | DF | IOPL | NT | RF | AC | ID;

/** What the lazy record describes. */
export const enum Lazy {
  /** Flags are materialized in `flags`; the record is unused. */
  None = 0,
  Add,
  Adc,
  Sub,
  Sbb,
  /** AND/OR/XOR/TEST: CF = OF = 0, AF = 0 (undefined in the SDM; QEMU clears it). */
  Logic,
  /** INC/DEC keep CF: it is materialized into `flags` before the record is made. */
  Inc,
  Dec,
  /** SHL/SHR/SAR (compiled code): CF and OF are computed with the result and stored in `flags`; AF = 0. */
  Shift,
  /**
   * MUL/IMUL: the result is the product's low part (what the destination
   * holds); CF = OF = 1 when A is not 0 (the product did not fit); AF = 0.
   */
  Product,
}

// PARITY is indexed by a byte (`r & 0xff`), SIGN and MASK by an operand size
// (1, 2 or 4 bytes, all any instruction has): every read is in range, and the
// readers assert it with `!`.

/** Parity of a byte: PF is set when the low 8 bits of a result hold an even number of ones. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let ones = 0;
  for (let b = i; b; b >>= 1) ones += b & 1;
  PARITY[i] = ones & 1 ? 0 : PF;
}

/** Sign bit and mask for operand sizes 8, 16 and 32, indexed by size in bytes. */
export const SIGN = [0, 0x80, 0x8000, 0, 0x80000000 | 0];
export const MASK = [0, 0xff, 0xffff, 0, -1];
