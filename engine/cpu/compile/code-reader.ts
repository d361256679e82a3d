// Reading guest code for the block compiler: bytes from physical memory up
// to the end of the page, and ModRM/SIB operands decoded into JavaScript
// expressions over the register file (r32, r8).

export const REG8 = [0, 4, 8, 12, 1, 5, 9, 13];
export const DS = 3;
export const SS = 2;

/** A decoded ModRM operand: a register number, or code computing a linear address into `a`. */
export interface ModRM {
  reg: number;
  /** -1 for a memory operand. */
  rmReg: number;
  /** Offset expression (JavaScript, int32) for memory operands. */
  offset: string;
  seg: number;
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

export function decodeModRM(code: CodeReader, m: number): ModRM {
  const mod = m >>> 6;
  const rm = m & 7;
  const reg = (m >>> 3) & 7;
  if (mod === 3) return { reg, rmReg: rm, offset: '', seg: DS };
  let parts: string[] = [];
  let seg = DS;
  let disp = 0;
  if (rm === 4) {
    const sib = code.u8();
    const index = (sib >>> 3) & 7;
    const base = sib & 7;
    const scale = sib >>> 6;
    if (base === 5 && mod === 0) {
      disp = code.i32();
    } else {
      parts.push(`r32[${base}]`);
      if (base === 4 || base === 5) seg = SS;
    }
    if (index !== 4) parts.push(scale ? `(r32[${index}] << ${scale})` : `r32[${index}]`);
  } else if (rm === 5 && mod === 0) {
    disp = code.i32();
  } else {
    parts.push(`r32[${rm}]`);
    if (rm === 5) seg = SS;
  }
  if (mod === 1) disp = code.s8();
  else if (mod === 2) disp = code.i32();
  if (disp !== 0 || parts.length === 0) parts.push(String(disp | 0));
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only !== undefined && only.startsWith('r32[')) return { reg, rmReg: -1, offset: only, seg };
  return { reg, rmReg: -1, offset: `(${parts.join(' + ')}) | 0`, seg };
}
