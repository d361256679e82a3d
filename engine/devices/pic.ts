// The two 8259A interrupt controllers of a PC/AT: the master at 0x20/0x21
// takes IRQ 0-7, the slave at 0xA0/0xA1 takes IRQ 8-15 and drives the
// master's IR2. Modelled from the Intel 8259A datasheet, with QEMU's choices
// (hw/intc/i8259.c) where the datasheet leaves room:
//
// - Requests are edge-triggered: a line going low to high latches its IRR bit,
//   which stays set until the CPU acknowledges it, even if the line drops
//   first (QEMU latches the same way). ICW1's level-triggered mode (LTIM) is
//   ignored, as QEMU ignores it.
// - The wiring is the PC's whatever ICW3 says: the slave sits on the master's
//   IR2, and vectors are always delivered in 8086 format (ICW4 bit 0 is not
//   checked).
// - Spurious interrupts: when the CPU acknowledges and the master has no
//   request left that may interrupt, the master answers with its IR7 vector
//   and sets no ISR bit. When the master's IR2 request is latched but the
//   slave has nothing left (its request was masked or the slave was
//   reinitialised in between), the master acknowledges IR2 normally (ISR bit 2
//   set, as the datasheet's cascade sequence and QEMU both do) and the slave
//   answers with its IR7 vector, so the kernel sees IRQ 15 and must still send
//   the master an EOI, but not the slave.

import type { PortDevice } from './ports.ts';

export const PIC_MASTER = 0x20;
export const PIC_SLAVE = 0xa0;
/** The master input the slave's INT output is wired to. */
const CASCADE_IRQ = 2;

const ICW1_IC4 = 0x01;
const ICW1_SNGL = 0x02;
const ICW1_INIT = 0x10;
const ICW4_AEOI = 0x02;
const ICW4_SFNM = 0x10;
const OCW3_SELECT = 0x08;
const OCW3_POLL = 0x04;
const OCW3_READ_REGISTER = 0x02;
const OCW3_READ_ISR = 0x01;
const OCW3_SET_SMM = 0x40;
const OCW3_SMM = 0x20;

/** What one 8259A holds, for inspection and tests. */
export interface PicChipState {
  irr: number;
  isr: number;
  imr: number;
  /** Vector of IR0, from ICW2. */
  base: number;
}

export interface PicState {
  master: PicChipState;
  slave: PicChipState;
}

/** Which initialization word the chip expects next on its data port. */
const enum InitStep {
  Ready,
  Icw2,
  Icw3,
  Icw4,
}

/** One 8259A. */
class Chip {
  irr = 0;
  isr = 0;
  imr = 0;
  base = 0;
  /** Input levels last seen, so only a low-to-high transition latches a request. */
  lines = 0;
  step = InitStep.Ready;
  expectIcw4 = false;
  singleMode = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  readIsr = false;
  poll = false;
  /** The input with the lowest priority; the one after it has the highest. IR7 after ICW1. */
  lowest = 7;

  constructor(readonly isMaster: boolean) {}

  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) {
      if (!(this.lines & bit)) this.irr |= bit;
      this.lines |= bit;
    } else {
      this.lines &= ~bit;
    }
  }

  /** Rank of the highest-priority bit set in `bits`, 0 = highest; 8 when none is set. */
  private highestRank(bits: number): number {
    for (let rank = 0; rank < 8; rank++) {
      if (bits & (1 << this.irqOfRank(rank))) return rank;
    }
    return 8;
  }

  private irqOfRank(rank: number): number {
    return (this.lowest + 1 + rank) & 7;
  }

  /** The request that would drive INT now, or -1: unmasked and of higher priority than anything in service. */
  pendingIrq(): number {
    const requests = this.irr & ~this.imr;
    if (!requests) return -1;
    let inService = this.isr;
    // Special mask mode: a masked level in service no longer holds off the others.
    if (this.specialMask) inService &= ~this.imr;
    // Special fully nested mode: the slave may interrupt again while one of its IRQs is in service.
    if (this.isMaster && this.specialFullyNested) inService &= ~(1 << CASCADE_IRQ);
    const rank = this.highestRank(requests);
    return rank < this.highestRank(inService) ? this.irqOfRank(rank) : -1;
  }

  /** The INTA response for `irq`: the request moves into service (or, with auto-EOI, is done at once). */
  acknowledge(irq: number): void {
    const bit = 1 << irq;
    this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = irq;
    } else {
      this.isr |= bit;
    }
  }

  writeCommand(value: number): void {
    if (value & ICW1_INIT) this.startInit(value);
    else if (value & OCW3_SELECT) this.writeOcw3(value);
    else this.writeOcw2(value);
  }

  writeData(value: number): void {
    switch (this.step) {
      case InitStep.Icw2:
        this.base = value & 0xf8;
        this.step = !this.singleMode ? InitStep.Icw3 : this.expectIcw4 ? InitStep.Icw4 : InitStep.Ready;
        return;
      case InitStep.Icw3:
        // The cascade wiring is fixed on a PC; ICW3 only confirms it.
        this.step = this.expectIcw4 ? InitStep.Icw4 : InitStep.Ready;
        return;
      case InitStep.Icw4:
        this.autoEoi = (value & ICW4_AEOI) !== 0;
        this.specialFullyNested = (value & ICW4_SFNM) !== 0;
        this.step = InitStep.Ready;
        return;
      default:
        this.imr = value; // OCW1
    }
  }

  /**
   * ICW1 resets the chip (datasheet: IMR cleared, IR7 lowest priority, special
   * mask mode off, status read selects IRR, ICW4 functions zeroed). Pending and
   * in-service bits are dropped too, as QEMU does. `lines` is kept: the edge
   * sense is reset, so an input already high must fall and rise again.
   */
  private startInit(icw1: number): void {
    this.irr = 0;
    this.isr = 0;
    this.imr = 0;
    this.lowest = 7;
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    this.expectIcw4 = (icw1 & ICW1_IC4) !== 0;
    this.singleMode = (icw1 & ICW1_SNGL) !== 0;
    this.step = InitStep.Icw2;
  }

  /** OCW2 bits 7-5 are R, SL, EOI; bits 2-0 name a level for the SL forms. */
  private writeOcw2(value: number): void {
    const level = value & 7;
    switch (value >> 5) {
      case 0: this.rotateOnAutoEoi = false; return;
      case 1: this.nonSpecificEoi(); return;
      case 2: return; // no operation
      case 3: this.isr &= ~(1 << level); return;
      case 4: this.rotateOnAutoEoi = true; return;
      case 5: {
        const irq = this.nonSpecificEoi();
        if (irq >= 0) this.lowest = irq;
        return;
      }
      case 6: this.lowest = level; return; // set priority
      default: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.lowest = level;
    }
  }

  /** Ends the highest-priority interrupt in service; returns its level, or -1 when none was. */
  private nonSpecificEoi(): number {
    const rank = this.highestRank(this.isr);
    if (rank === 8) return -1;
    const irq = this.irqOfRank(rank);
    this.isr &= ~(1 << irq);
    return irq;
  }

  private writeOcw3(value: number): void {
    if (value & OCW3_POLL) this.poll = true;
    if (value & OCW3_READ_REGISTER) this.readIsr = (value & OCW3_READ_ISR) !== 0;
    if (value & OCW3_SET_SMM) this.specialMask = (value & OCW3_SMM) !== 0;
  }

  /**
   * Poll mode: the read itself is the acknowledge. Bit 7 says whether a
   * request was pending, bits 2-0 name it. A master polled to 2 leaves the
   * slave to be polled separately, as the datasheet describes.
   */
  private pollRead(): number {
    this.poll = false;
    const irq = this.pendingIrq();
    if (irq < 0) return 0;
    this.acknowledge(irq);
    return 0x80 | irq;
  }

  readCommand(): number {
    if (this.poll) return this.pollRead();
    return this.readIsr ? this.isr : this.irr;
  }

  readData(): number {
    // QEMU answers a poll on either port.
    if (this.poll) return this.pollRead();
    return this.imr;
  }

  state(): PicChipState {
    return { irr: this.irr, isr: this.isr, imr: this.imr, base: this.base };
  }
}

/**
 * The master/slave pair. Claim ports 0x20-0x21 and 0xA0-0xA1 with one instance.
 * Until the guest sends ICW1-ICW4 the chips are in their reset state: vector
 * base 0, nothing masked. (A PC BIOS would have programmed bases 0x08 and 0x70;
 * a machine that wants that state can write the same ICWs through write8.)
 */
export class Pic implements PortDevice {
  private readonly master = new Chip(true);
  private readonly slave = new Chip(false);
  /**
   * Called after any change that leaves hasInterrupt() true: a new request,
   * an EOI or an unmask. The machine should re-check hasInterrupt() before
   * it acknowledges, since the guest may mask the request again first.
   */
  onChange: (() => void) | null = null;

  /** Drive input `irq` (0-15) to `level`; a rising edge latches a request. IRQ 2 is the cascade input and cannot be driven. */
  setIrq(irq: number, level: boolean): void {
    if (!Number.isInteger(irq) || irq < 0 || irq > 15 || irq === CASCADE_IRQ) {
      throw new RangeError(`PIC input ${irq} does not exist; devices use IRQ 0-1 and 3-15 (IRQ 2 is the slave's cascade)`);
    }
    if (irq < 8) this.master.setLine(irq, level);
    else this.slave.setLine(irq - 8, level);
    // A falling edge latches nothing, so it can neither raise nor drop INT.
    if (level) this.changed();
  }

  /** The master's INT output: an unmasked request of higher priority than any in service. */
  hasInterrupt(): boolean {
    return this.master.pendingIrq() >= 0;
  }

  /** The CPU's INTA cycle: returns the vector and puts the request in service. */
  acknowledge(): number {
    const irq = this.master.pendingIrq();
    if (irq < 0) return this.master.base + 7; // spurious IRQ 7: no ISR bit
    this.master.acknowledge(irq);
    let vector: number;
    if (irq === CASCADE_IRQ) {
      const slaveIrq = this.slave.pendingIrq();
      if (slaveIrq >= 0) {
        this.slave.acknowledge(slaveIrq);
        vector = this.slave.base + slaveIrq;
      } else {
        vector = this.slave.base + 7; // spurious IRQ 15; the master's IR2 is in service
      }
    } else {
      vector = this.master.base + irq;
    }
    // The slave's output may have dropped; nothing can have become deliverable.
    this.updateCascade();
    return vector;
  }

  read8(port: number): number {
    const chip = this.chipAt(port);
    const polled = chip.poll;
    const value = port & 1 ? chip.readData() : chip.readCommand();
    // A poll read is an acknowledge, which can drop the slave's output.
    if (polled) this.updateCascade();
    return value;
  }

  write8(port: number, value: number): void {
    const chip = this.chipAt(port);
    if (port & 1) chip.writeData(value);
    else chip.writeCommand(value);
    this.changed();
  }

  state(): PicState {
    return { master: this.master.state(), slave: this.slave.state() };
  }

  private chipAt(port: number): Chip {
    return (port & ~1) === PIC_SLAVE ? this.slave : this.master;
  }

  /** The slave's INT output is the master's IR2 input. */
  private updateCascade(): void {
    this.master.setLine(CASCADE_IRQ, this.slave.pendingIrq() >= 0);
  }

  private changed(): void {
    this.updateCascade();
    if (this.onChange && this.hasInterrupt()) this.onChange();
  }
}
