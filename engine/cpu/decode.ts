// Instruction decoding: fetching instruction bytes at CS:EIP, and the ModRM
// and SIB bytes that name an instruction's register or memory operand (SDM
// Vol. 2, 2.1.5). Which handler runs for an opcode is dispatch.ts's job.

import { Access } from '../memory/paging.ts';
import { CpuException, Vector } from './exceptions.ts';
import { CpuMemory } from './linear-memory.ts';
import { OPEN_BUS, Reg, Reg16, Seg } from './state.ts';
import { CYCLES } from './cycle-model.ts';

/** SDM Vol. 2, 2.3.11: an instruction is at most 15 bytes long, prefixes included; a longer one raises #GP(0). */
export const MAX_INSTRUCTION_LENGTH = 15;

/**
 * Without prefixes an IA-32 instruction is at most 11 bytes (opcode, ModRM,
 * SIB, a 32-bit displacement and a 32-bit immediate), so only one with this
 * many prefixes or more can pass the limit. Only such an instruction has its
 * fetches measured, on the slow path; every other one costs nothing more.
 */
export const PREFIXES_TO_MEASURE = MAX_INSTRUCTION_LENGTH - 11 + 1;

export class CpuDecoder extends CpuMemory {
  // ---- instruction fetch ------------------------------------------------

  /**
   * Refill the fetch page for linear address `lin` (a new code page, or after
   * a flush). A CS with a limit, or an instruction with PREFIXES_TO_MEASURE
   * prefixes, keeps the fast path off, so that each fetch comes here to be
   * checked. The page is translated first: when the 16th byte of an
   * instruction lies on a page that is not present, the page fault wins over
   * the #GP (as QEMU has it, advance_pc in target/i386/tcg/translate.c).
   */
  refillFetchPage(lin: number): void {
    const phys = this.translate(lin, Access.Fetch);
    this.fetchXor = (phys ^ lin) & ~0xfff;
    if (this.segNeedsCheck[Seg.CS] === 0 && this.prefixCount < PREFIXES_TO_MEASURE) {
      this.fetchPage = lin & ~0xfff;
      return;
    }
    this.fetchPage = -1;
    if (this.segNeedsCheck[Seg.CS] !== 0) this.checkSegmentAccess(Seg.CS, this.eip, 1); // SDM 5.3
    if (((this.eip - this.ip0) | 0) >= MAX_INSTRUCTION_LENGTH) {
      throw new CpuException(Vector.GP, 0, `instruction longer than ${MAX_INSTRUCTION_LENGTH} bytes (${this.prefixCount} prefixes)`);
    }
  }

  fetch8(): number {
    const lin = (this.csBase + this.eip) | 0;
    if ((lin & ~0xfff) !== this.fetchPage) this.refillFetchPage(lin);
    const phys = (this.fetchXor ^ lin) >>> 0;
    this.eip = (this.eip + 1) | 0;
    return phys < this.ramSize ? this.ram[phys]! : OPEN_BUS;
  }

  fetch16(): number {
    const lo = this.fetch8();
    return lo | (this.fetch8() << 8);
  }

  fetch32(): number {
    const lin = (this.csBase + this.eip) | 0;
    if ((lin & 0xfff) <= 0xffc && (lin & ~0xfff) === this.fetchPage) {
      const phys = (this.fetchXor ^ lin) >>> 0;
      if (phys + 4 <= this.ramSize) {
        this.eip = (this.eip + 4) | 0;
        const ram = this.ram;
        return ram[phys]! | (ram[phys + 1]! << 8) | (ram[phys + 2]! << 16) | (ram[phys + 3]! << 24);
      }
    }
    const lo = this.fetch16();
    return lo | (this.fetch16() << 16);
  }

  fetchS8(): number {
    return (this.fetch8() << 24) >> 24;
  }

  /** Immediate of the current operand size: 16 bits with the 0x66 prefix, else 32. */
  fetchImm(): number {
    return this.o16 ? this.fetch16() : this.fetch32();
  }

  // ---- effective addresses ------------------------------------------------

  /** Offset (within its segment) of the ModRM memory operand; sets `eaSeg` to its default segment. */
  eaOffset(modrm: number): number {
    if (this.a16) return this.eaOffset16(modrm);
    const mod = modrm >>> 6;
    const rm = modrm & 7;
    let base: number;
    if (rm === 4) {
      const sib = this.fetch8();
      const index = (sib >>> 3) & 7;
      const baseReg = sib & 7;
      if (baseReg === 5 && mod === 0) {
        base = this.fetch32();
        this.eaSeg = Seg.DS;
      } else {
        base = this.r32[baseReg]!;
        this.eaSeg = baseReg === Reg.ESP || baseReg === Reg.EBP ? Seg.SS : Seg.DS;
      }
      if (index !== 4) base = (base + (this.r32[index]! << (sib >>> 6))) | 0;
    } else if (rm === 5 && mod === 0) {
      this.eaSeg = Seg.DS;
      return this.fetch32();
    } else {
      base = this.r32[rm]!;
      this.eaSeg = rm === Reg.EBP ? Seg.SS : Seg.DS;
    }
    if (mod === 1) return (base + this.fetchS8()) | 0;
    if (mod === 2) return (base + this.fetch32()) | 0;
    return base;
  }

  private eaOffset16(modrm: number): number {
    const mod = modrm >>> 6;
    const rm = modrm & 7;
    const r16 = this.r16;
    let off: number;
    this.eaSeg = Seg.DS;
    switch (rm) {
      case 0: off = r16[Reg16.BX] + r16[Reg16.SI]; break;
      case 1: off = r16[Reg16.BX] + r16[Reg16.DI]; break;
      case 2: off = r16[Reg16.BP] + r16[Reg16.SI]; this.eaSeg = Seg.SS; break;
      case 3: off = r16[Reg16.BP] + r16[Reg16.DI]; this.eaSeg = Seg.SS; break;
      case 4: off = r16[Reg16.SI]; break;
      case 5: off = r16[Reg16.DI]; break;
      case 6:
        if (mod === 0) return this.fetch16();
        off = r16[Reg16.BP];
        this.eaSeg = Seg.SS;
        break;
      default: off = r16[Reg16.BX]; break;
    }
    if (mod === 1) off += this.fetchS8();
    else if (mod === 2) off += this.fetch16();
    return off & 0xffff;
  }

  /** Linear address of the ModRM memory operand, segment override applied; the operand costs its cycles here. */
  ea(modrm: number, size = 1): number {
    this.extraCycles += CYCLES.memoryOperand;
    const off = this.eaOffset(modrm);
    if (this.segOvr >= 0) this.eaSeg = this.segOvr;
    const seg = this.eaSeg;
    if (this.segNeedsCheck[seg] !== 0) this.checkSegmentAccess(seg, off, size);
    return (this.segBase[seg] + off) | 0;
  }

  /** The data segment of an instruction without ModRM: DS unless overridden. */
  dataSeg(): number {
    return this.segOvr >= 0 ? this.segOvr : Seg.DS;
  }
  // ---- ModRM operands ---------------------------------------------------

  readRM8(modrm: number): number {
    return modrm >= 0xc0 ? this.getReg8(modrm & 7) : this.read8(this.ea(modrm));
  }

  readRM16(modrm: number): number {
    return modrm >= 0xc0 ? this.r16[(modrm & 7) << 1]! : this.read16(this.ea(modrm, 2));
  }

  readRM32(modrm: number): number {
    return modrm >= 0xc0 ? this.r32[modrm & 7]! : this.read32(this.ea(modrm, 4));
  }

  writeRM8(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.setReg8(modrm & 7, v);
    else this.write8(this.ea(modrm), v);
  }

  writeRM16(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.r16[(modrm & 7) << 1] = v;
    else this.write16(this.ea(modrm, 2), v);
  }

  writeRM32(modrm: number, v: number): void {
    if (modrm >= 0xc0) this.r32[modrm & 7] = v;
    else this.write32(this.ea(modrm, 4), v);
  }
}
