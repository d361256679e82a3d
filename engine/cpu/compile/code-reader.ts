// Reading guest code for the block compiler: bytes from physical memory up
// to the end of the page, and ModRM/SIB operands decoded into a description
// (ModRM), which offsetSource writes as a JavaScript expression over r32.

export const REG8 = [0, 4, 8, 12, 1, 5, 9, 13];
export const DS = 3;
export const SS = 2;

/**
 * A decoded ModRM operand: a register (rmReg), or memory at
 * base + (index << scale) + disp in segment `seg` (SDM Vol. 2, 2.1.5).
 */
export interface ModRM {
  /** The reg field: a register or an opcode extension. */
  reg: number;
  /** The register operand; -1 for a memory operand. */
  rmReg: number;
  /** Base and index registers; -1 where there is none. */
  base: number;
  index: number;
  scale: number;
  disp: number;
  /** The default segment: SS for a base of ESP or EBP, else DS. */
  seg: number;
}

/** General register `n` as an operand (the register forms that have no ModRM byte). */
export function register(n: number): ModRM {
  return { reg: 0, rmReg: n, base: -1, index: -1, scale: 0, disp: 0, seg: DS };
}

/** A memory operand at [base] in segment `seg`: the string instructions' DS:ESI and ES:EDI. */
export function at(base: number, seg: number): ModRM {
  return { reg: 0, rmReg: -1, base, index: -1, scale: 0, disp: 0, seg };
}

/** A memory operand at a constant offset in DS (the moffs forms, A0-A3). */
export function absolute(disp: number): ModRM {
  return { reg: 0, rmReg: -1, base: -1, index: -1, scale: 0, disp, seg: DS };
}

/** Reads guest code bytes from physical memory, stopping at the end of the page. */
export class CodeReader {
  pos: number;
  constructor(private readonly ram: Uint8Array, start: number, private readonly pageEnd: number) {
    this.pos = start;
  }
  /** False when the next `n` bytes would leave the page (or RAM). */
  has(n: number): boolean {
    return this.pos + n <= this.pageEnd && this.pos + n <= this.ram.length;
  }
  u8(): number {
    if (!this.has(1)) throw OUT_OF_PAGE;
    return this.ram[this.pos++]!;
  }
  s8(): number {
    return (this.u8() << 24) >> 24;
  }
  u16(): number {
    const lo = this.u8();
    return lo | (this.u8() << 8);
  }
  i32(): number {
    const lo = this.u16();
    return lo | (this.u16() << 16);
  }
}

/** Thrown inside the decoder when an instruction runs off the page: the block ends before it. */
export const OUT_OF_PAGE = { outOfPage: true };

/** The operand of ModRM byte `m`, reading its SIB byte and displacement from `code`; 32-bit addressing. */
export function decodeModRM(code: CodeReader, m: number): ModRM {
  const mod = m >>> 6;
  const rm = m & 7;
  const reg = (m >>> 3) & 7;
  const operand: ModRM = { reg, rmReg: -1, base: -1, index: -1, scale: 0, disp: 0, seg: DS };
  if (mod === 3) {
    operand.rmReg = rm;
    return operand;
  }
  if (rm === 4) {
    const sib = code.u8();
    const index = (sib >>> 3) & 7;
    const base = sib & 7;
    if (base === 5 && mod === 0) operand.disp = code.i32();
    else operand.base = base;
    if (index !== 4) {
      operand.index = index;
      operand.scale = sib >>> 6;
    }
  } else if (rm === 5 && mod === 0) {
    operand.disp = code.i32();
  } else {
    operand.base = rm;
  }
  if (operand.base === 4 || operand.base === 5) operand.seg = SS;
  if (mod === 1) operand.disp = code.s8();
  else if (mod === 2) operand.disp = code.i32();
  return operand;
}

/** The offset of a memory operand within its segment, as a JavaScript int32 expression over r32. */
export function offsetSource(m: ModRM): string {
  const parts: string[] = [];
  if (m.base >= 0) parts.push(`r32[${m.base}]`);
  if (m.index >= 0) parts.push(m.scale ? `(r32[${m.index}] << ${m.scale})` : `r32[${m.index}]`);
  if (m.disp !== 0 || parts.length === 0) parts.push(String(m.disp | 0));
  return parts.length === 1 ? parts[0]! : `(${parts.join(' + ')}) | 0`;
}
