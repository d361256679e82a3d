// Memory as an instruction sees it: linear addresses through segments (base,
// limit and null-selector checks), then through the TLB and the page tables to
// physical RAM, in the widths instructions use.

import { CpuException, LEAVE_BLOCK, Vector } from './exceptions.ts';
import { READ_SUPERVISOR, TLB_CODE, TLB_NOT_RAM, TLB_VALID, TLB_WATCH, WRITE_SUPERVISOR } from '../memory/tlb.ts';
import { translateSlow, Access } from '../memory/paging.ts';
import { CpuState, OPEN_BUS, Seg } from './state.ts';
import { noteDataAccess } from './debug-registers.ts';

/**
 * Does an access of `size` bytes at `off` fall outside a segment? `access`
 * is the descriptor's bits 8..23 as segAccess holds them, `limit` in bytes.
 * An expand-down data segment holds the offsets above its limit, up to 64 KiB
 * or 4 GiB by its B bit (SDM 3.4.5.1).
 */
export function outsideSegment(access: number, limit: number, off: number, size: number): boolean {
  const first = off >>> 0;
  const last = first + size - 1;
  const expandDown = (access & 0x0c) === 0x04; // data segment with E set
  const upper = expandDown ? ((access & 0x4000) !== 0 ? 0xffffffff : 0xffff) : limit >>> 0;
  const lower = expandDown ? (limit >>> 0) + 1 : 0;
  return first < lower || last > upper;
}

export class CpuMemory extends CpuState {
  // ---- segments -----------------------------------------------------------

  /** Linear address of `off` in segment `seg` (string instructions, stack, moffs). */
  linear(seg: Seg, off: number, size = 1): number {
    if (this.segNeedsCheck[seg] !== 0) this.checkSegmentAccess(seg, off, size);
    return (this.segBase[seg] + off) | 0;
  }

  /**
   * SDM 5.3 and 3.4.2: an access through a null selector raises #GP(0); one
   * outside the segment limit raises #GP(0), or #SS(0) through SS. (QEMU skips
   * these checks for flat segments; hardware does not.)
   */
  checkSegmentAccess(seg: Seg, off: number, size: number): void {
    const vector = seg === Seg.SS ? Vector.SS : Vector.GP;
    const name = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'][seg];
    if (this.segAccess[seg] === 0) {
      throw new CpuException(vector, 0, `memory access through ${name}, which holds a null selector`);
    }
    if (outsideSegment(this.segAccess[seg], this.segLimit[seg], off, size)) {
      throw new CpuException(vector, 0, `offset 0x${(off >>> 0).toString(16)} is outside ${name}'s limit 0x${(this.segLimit[seg] >>> 0).toString(16)}`);
    }
  }

  // ---- linear memory ----------------------------------------------------
  //
  // The fast paths index RAM without checks, hence their `!`s: an entry that
  // passes a read or write mask has TLB_NOT_RAM clear, so the physical
  // address it gives is in RAM.

  /**
   * Physical address for `lin`: from the TLB when its entry grants the
   * access, else by walking the page tables, which fills the TLB or raises
   * #PF. Fetches need what reads need (32-bit paging has no execute
   * permission); system accesses (descriptor tables, the TSS, a ring-0
   * interrupt frame) are checked as supervisor accesses whatever the CPL.
   */
  translate(lin: number, access: Access): number {
    if (this.dataBreakpoints !== 0 && (access === Access.Read || access === Access.Write)) noteDataAccess(this, lin, access === Access.Write);
    const e = this.tlbEntries[lin >>> 12]!;
    const mask = access === Access.Read || access === Access.Fetch ? this.tlbReadMask
      : access === Access.Write ? this.tlbWriteMask
        : access === Access.SystemRead ? READ_SUPERVISOR : WRITE_SUPERVISOR;
    // A write to a page of compiled code keeps its translation: writePhys8 then drops the code.
    const blocked = e & mask;
    if (blocked === TLB_VALID || blocked === (TLB_VALID | TLB_CODE)) return (e & ~0xfff) ^ lin;
    // When only a debugger's watch stands in the way, the translation stands as it is, stale or not.
    const phys = (blocked & ~(TLB_CODE | TLB_WATCH)) === TLB_VALID ? (e & ~0xfff) ^ lin : translateSlow(this, lin, access);
    if ((this.tlbEntries[lin >>> 12]! & TLB_WATCH) !== 0) this.noteWatchedAccess(lin, access);
    return phys;
  }

  /** A program's data access to a page a debugger watches (fetches and the CPU's own system accesses are not). */
  private noteWatchedAccess(lin: number, access: Access): void {
    if ((access === Access.Read || access === Access.Write) && this.accessWatch.note(lin, access === Access.Write)) this.stopRequested = true;
  }

  read8(lin: number): number {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.readMask) === TLB_VALID) return this.ram[((e & ~0xfff) ^ lin) >>> 0]!;
    return this.readData8(this.translate(lin, Access.Read));
  }

  read16(lin: number): number {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.readMask) === TLB_VALID && (lin & 0xfff) !== 0xfff) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      return (p & 1) === 0 ? this.ram16[p >>> 1]! : this.ram[p]! | (this.ram[p + 1]! << 8);
    }
    return this.read8(lin) | (this.read8((lin + 1) | 0) << 8);
  }

  read32(lin: number): number {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.readMask) === TLB_VALID && (lin & 0xfff) <= 0xffc) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 3) === 0) return this.ram32[p >>> 2]!;
      const ram = this.ram;
      return ram[p]! | (ram[p + 1]! << 8) | (ram[p + 2]! << 16) | (ram[p + 3]! << 24);
    }
    return this.readSlow32(lin);
  }

  private readSlow32(lin: number): number {
    // Split accesses translate both pages before reading either, so a fault leaves nothing half-done.
    if ((lin & 0xfff) > 0xffc) {
      this.translate(lin, Access.Read);
      this.translate((lin + 3) & ~0xfff, Access.Read); // CR2 names the first byte on the second page
    } else if (this.mayBeDevice(lin)) {
      // A dword within one page of a device reaches it as one access (the APICs' registers are dwords).
      const p = this.translate(lin, Access.Read) >>> 0;
      if (p >= this.ramSize) return this.deviceRead(p, 4);
    }
    return this.read16(lin) | (this.read16((lin + 2) | 0) << 16);
  }

  write8(lin: number, v: number): void {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.writeMask) === TLB_VALID) {
      this.ram[((e & ~0xfff) ^ lin) >>> 0] = v;
      return;
    }
    this.writeData8(this.translate(lin, Access.Write), v);
  }

  write16(lin: number, v: number): void {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.writeMask) === TLB_VALID && (lin & 0xfff) !== 0xfff) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 1) === 0) this.ram16[p >>> 1] = v;
      else { this.ram[p] = v; this.ram[p + 1] = v >>> 8; }
      return;
    }
    if ((lin & 0xfff) === 0xfff) {
      this.translate(lin, Access.Write);
      this.translate((lin + 1) | 0, Access.Write);
    }
    this.write8(lin, v);
    this.write8((lin + 1) | 0, v >>> 8);
  }

  write32(lin: number, v: number): void {
    const e = this.tlbEntries[lin >>> 12]!;
    if ((e & this.writeMask) === TLB_VALID && (lin & 0xfff) <= 0xffc) {
      const p = ((e & ~0xfff) ^ lin) >>> 0;
      if ((p & 3) === 0) this.ram32[p >>> 2] = v;
      else {
        const ram = this.ram;
        ram[p] = v; ram[p + 1] = v >>> 8; ram[p + 2] = v >>> 16; ram[p + 3] = v >>> 24;
      }
      return;
    }
    if ((lin & 0xfff) > 0xffc) {
      this.translate(lin, Access.Write);
      this.translate((lin + 3) & ~0xfff, Access.Write);
    } else if (this.mayBeDevice(lin)) {
      const p = this.translate(lin, Access.Write) >>> 0;
      if (p >= this.ramSize) {
        this.deviceWrite(p, 4, v);
        return;
      }
    }
    this.write16(lin, v);
    this.write16((lin + 2) | 0, v >>> 16);
  }

  /** A memory operand of `size` bytes at a linear address. */
  readMem(lin: number, size: number): number {
    return size === 1 ? this.read8(lin) : size === 2 ? this.read16(lin) : this.read32(lin);
  }

  writeMem(lin: number, size: number, v: number): void {
    if (size === 1) this.write8(lin, v);
    else if (size === 2) this.write16(lin, v);
    else this.write32(lin, v);
  }

  /**
   * Make sure a write of `size` bytes at `lin` cannot fault, before a
   * read-modify-write instruction changes anything: the CPU checks the write
   * up front, so a fault leaves flags and registers as they were.
   */
  prepareWrite(lin: number, size: number): void {
    if ((this.tlbEntries[lin >>> 12]! & this.writeMask) !== TLB_VALID) this.translate(lin, Access.Write);
    const last = (lin + size - 1) | 0;
    if (((last ^ lin) >>> 12) !== 0 && (this.tlbEntries[last >>> 12]! & this.writeMask) !== TLB_VALID) {
      this.translate(last & ~0xfff, Access.Write);
    }
  }

  /**
   * Whether a slow-path dword access at `lin` may land on a device: not when
   * the page's TLB entry already says RAM (the access is slow for another
   * reason: compiled code, a watch, a clear dirty bit), so those pay nothing.
   */
  private mayBeDevice(lin: number): boolean {
    if (this.mmio === null) return false;
    const e = this.tlbEntries[lin >>> 12]!;
    return (e & TLB_VALID) === 0 || (e & TLB_NOT_RAM) !== 0;
  }

  /** A program's byte load at physical `phys`: RAM, a device above it, or the open bus. */
  private readData8(phys: number): number {
    const p = phys >>> 0;
    if (p < this.ramSize) return this.ram[p]!;
    return this.mmio !== null ? this.deviceRead(p, 1) & 0xff : OPEN_BUS;
  }

  /** A program's byte store at physical `phys`: RAM, a device above it, or nowhere. */
  private writeData8(phys: number, v: number): void {
    if (phys >>> 0 < this.ramSize || this.mmio === null) this.writePhys8(phys, v);
    else this.deviceWrite(phys >>> 0, 1, v);
  }

  /** A load from above RAM (unsigned `p`); a compiled block leaves it to the interpreter. */
  private deviceRead(p: number, size: number): number {
    if (this.inBlock && this.mmio!.claims(p)) this.leaveBlock();
    return this.mmio!.read(p, size);
  }

  private deviceWrite(p: number, size: number, v: number): void {
    if (this.inBlock && this.mmio!.claims(p)) this.leaveBlock();
    this.mmio!.write(p, size, v);
  }

  /**
   * The instruction in flight is interpreted from now on, starting now. A
   * compiled block sets ip0 only in its catch, so the run loop, after it,
   * says which instruction that is (leftForDevice).
   */
  private leaveBlock(): never {
    this.leftForDevice = true;
    throw LEAVE_BLOCK;
  }

  /**
   * Physical byte read (signed or unsigned `phys`): addresses with no RAM
   * behind them read as OPEN_BUS, devices included: this is the inspector's
   * and the CPU's own tables' path, which must not disturb a device.
   */
  readPhys8(phys: number): number {
    const p = phys >>> 0;
    return p < this.ramSize ? this.ram[p]! : OPEN_BUS;
  }

  /** Physical byte write; writes to addresses with no RAM behind them go nowhere. */
  writePhys8(phys: number, v: number): void {
    const p = phys >>> 0;
    if (p < this.ramSize) {
      this.written.mark(p >>> 12);
      if (this.blocks !== null && this.blocks.codePages[p >>> 12] !== 0) this.blocks.invalidatePage(p >>> 12);
      this.ram[p] = v;
    }
  }
}
