// The processor: the state (state.ts), memory access (linear-memory.ts) and
// instruction decoding (decode.ts) layers, with the stack and near control
// transfers every instruction family shares. Instructions themselves live in
// ops/, one file per family as the SDM groups them; dispatch.ts maps opcodes
// to them.

import { CpuDecoder } from './decode.ts';
import { Reg, Reg16, Seg } from './state.ts';
import { CYCLES } from './cycle-model.ts';

export { OPEN_BUS, Reg, Reg16, Seg } from './state.ts';

export class CPU extends CpuDecoder {
  // ---- stack ------------------------------------------------------------

  // The limit check takes the new top as the stack's own size computes it: on a
  // 16-bit stack (SS.B = 0) SP wraps at 64 KiB, so a push at SP = 0 writes at
  // 0xFFFC, inside the limit, not at -4 (SDM Vol. 2 "PUSH": the stack-address size).
  push32(v: number): void {
    if (this.segNeedsCheck[Seg.SS] !== 0) this.checkSegmentAccess(Seg.SS, this.stackTopAfter(-4), 4);
    if (this.stack32) {
      const sp = (this.r32[Reg.ESP] - 4) | 0;
      this.write32((this.segBase[Seg.SS] + sp) | 0, v);
      this.r32[Reg.ESP] = sp;
    } else {
      const sp = (this.r16[Reg16.SP] - 4) & 0xffff;
      this.write32((this.segBase[Seg.SS] + sp) | 0, v);
      this.r16[Reg16.SP] = sp;
    }
  }

  push16(v: number): void {
    if (this.segNeedsCheck[Seg.SS] !== 0) this.checkSegmentAccess(Seg.SS, this.stackTopAfter(-2), 2);
    if (this.stack32) {
      const sp = (this.r32[Reg.ESP] - 2) | 0;
      this.write16((this.segBase[Seg.SS] + sp) | 0, v);
      this.r32[Reg.ESP] = sp;
    } else {
      const sp = (this.r16[Reg16.SP] - 2) & 0xffff;
      this.write16((this.segBase[Seg.SS] + sp) | 0, v);
      this.r16[Reg16.SP] = sp;
    }
  }

  pop32(): number {
    if (this.segNeedsCheck[Seg.SS] !== 0) this.checkSegmentAccess(Seg.SS, this.getSP(), 4);
    if (this.stack32) {
      const sp = this.r32[Reg.ESP];
      const v = this.read32((this.segBase[Seg.SS] + sp) | 0);
      this.r32[Reg.ESP] = (sp + 4) | 0;
      return v;
    }
    const sp = this.r16[Reg16.SP];
    const v = this.read32((this.segBase[Seg.SS] + sp) | 0);
    this.r16[Reg16.SP] = (sp + 4) & 0xffff;
    return v;
  }

  pop16(): number {
    if (this.segNeedsCheck[Seg.SS] !== 0) this.checkSegmentAccess(Seg.SS, this.getSP(), 2);
    if (this.stack32) {
      const sp = this.r32[Reg.ESP];
      const v = this.read16((this.segBase[Seg.SS] + sp) | 0);
      this.r32[Reg.ESP] = (sp + 2) | 0;
      return v;
    }
    const sp = this.r16[Reg16.SP];
    const v = this.read16((this.segBase[Seg.SS] + sp) | 0);
    this.r16[Reg16.SP] = (sp + 2) & 0xffff;
    return v;
  }

  /** Push of the current operand size. */
  pushOp(v: number): void {
    if (this.o16) this.push16(v);
    else this.push32(v);
  }

  popOp(): number {
    return this.o16 ? this.pop16() : this.pop32();
  }

  /** Stack pointer as the current stack size sees it. */
  /** The stack pointer moved by `delta` as the stack's size wraps it: 32 bits, or 16 when SS.B = 0. */
  stackTopAfter(delta: number): number {
    return this.stack32 ? (this.r32[Reg.ESP] + delta) | 0 : (this.r16[Reg16.SP] + delta) & 0xffff;
  }

  getSP(): number {
    return this.stack32 ? this.r32[Reg.ESP] : this.r16[Reg16.SP];
  }

  setSP(v: number): void {
    if (this.stack32) this.r32[Reg.ESP] = v;
    else this.r16[Reg16.SP] = v;
  }

  // ---- control transfer ---------------------------------------------------

  /**
   * Near jump within CS, a taken branch for the cycle model; 16-bit operand
   * size truncates EIP to 16 bits (SDM: JMP, "IF OperandSize = 16").
   */
  jumpNear(target: number): void {
    this.extraCycles += CYCLES.takenBranch;
    this.eip = this.o16 ? target & 0xffff : target | 0;
  }
}
