// The I/O APIC at 0xFEC00000, from the Intel 82093AA datasheet, wired as
// QEMU's pc machine wires it (hw/intc/ioapic.c): 24 pins, ISA IRQ n on pin
// n except IRQ 0 (the PIT), which is on pin 2, as the ACPI MADT of such a
// machine says with an interrupt source override. The 8259 sees every ISA
// IRQ too; which controller reaches the CPU is the kernel's choice of masks.
//
// Registers go through an index (IOREGSEL at offset 0x00) and a window
// (IOWIN at 0x10): 0x00 ID, 0x01 version (0x20, 23 as the highest entry),
// 0x02 arbitration ID, 0x10 + 2n and 0x11 + 2n the low and high dwords of pin
// n's redirection entry. Offset 0x40 is the EOI register of version 0x20.
// The window and EOI take dword accesses only; IOREGSEL takes any width. As
// in QEMU, the registers repeat every 256 bytes of the page.
//
// An edge-triggered entry sends its vector to the local APIC on each rising
// edge while unmasked; a level-triggered one while its pin is high and its
// remote IRR clear, which the local APIC's EOI of that vector clears again.
// Delivery is instant, so the delivery-status bit always reads idle.

import type { MmioDevice } from './mmio.ts';

export const IOAPIC_BASE = 0xfec00000;
const PINS = 24;
const VERSION = 0x20 | ((PINS - 1) << 16);
const MASKED = 1 << 16;
const LEVEL_TRIGGERED = 1 << 15;
const REMOTE_IRR = 1 << 14;
/** Delivery status (bit 12) and remote IRR (bit 14) are read-only. */
const READ_ONLY = (1 << 12) | REMOTE_IRR;

/** The local APIC's side of the APIC bus: what a redirection entry sends. */
export type ApicMessage = (vector: number, destination: number, logical: boolean, mode: number, levelTriggered: boolean) => void;

/** What the I/O APIC holds, for inspection and tests. */
export interface IoApicState {
  id: number;
  /** Pin n's redirection entry: high dword (destination) above the low one (vector, mode, mask). */
  entries: bigint[];
}

export class IoApic implements MmioDevice {
  private select = 0;
  private id = 0;
  /** Redirection entries, low and high dwords; masked at reset. */
  readonly low = new Int32Array(PINS).fill(MASKED);
  readonly high = new Int32Array(PINS);
  /** Pin levels, bit n for pin n. */
  private levels = 0;

  constructor(private readonly send: ApicMessage) {}

  /** The redirection entries as 64-bit values, for inspection and tests. */
  state(): IoApicState {
    return { id: this.id, entries: [...this.low].map((low, pin) => (BigInt(this.high[pin]! >>> 0) << 32n) | BigInt(low >>> 0)) };
  }

  page(): number {
    return IOAPIC_BASE >>> 12;
  }

  /** ISA IRQ `irq` goes to `level`: pin 2 for IRQ 0, pin `irq` for the others. */
  setIsaIrq(irq: number, level: boolean): void {
    this.setPin(irq === 0 ? 2 : irq, level);
  }

  private setPin(pin: number, level: boolean): void {
    const bit = 1 << pin;
    const rising = level && (this.levels & bit) === 0;
    this.levels = level ? this.levels | bit : this.levels & ~bit;
    const entry = this.low[pin]!;
    if ((entry & MASKED) !== 0) return; // 82093AA: a masked edge is lost; a masked level waits for the unmask
    if ((entry & LEVEL_TRIGGERED) !== 0) this.serviceLevel(pin);
    else if (rising) this.deliver(pin);
  }

  /** A level-triggered pin held high sends its vector once per EOI. */
  private serviceLevel(pin: number): void {
    const entry = this.low[pin]!;
    if ((this.levels & (1 << pin)) === 0 || (entry & (MASKED | REMOTE_IRR)) !== 0) return;
    this.low[pin] = entry | REMOTE_IRR;
    this.deliver(pin);
  }

  private deliver(pin: number): void {
    const entry = this.low[pin]!;
    this.send(entry & 0xff, this.high[pin]! >>> 24, (entry & (1 << 11)) !== 0, (entry >> 8) & 7, (entry & LEVEL_TRIGGERED) !== 0);
  }

  /** The local APIC ended a level-triggered `vector`: entries that sent it may send again. */
  endOfInterrupt(vector: number): void {
    for (let pin = 0; pin < PINS; pin++) {
      const entry = this.low[pin]!;
      if ((entry & REMOTE_IRR) === 0 || (entry & 0xff) !== vector) continue;
      this.low[pin] = entry & ~REMOTE_IRR;
      this.serviceLevel(pin);
    }
  }

  read(offset: number, size: number): number {
    const register = offset & 0xff;
    if (register === 0x00) return this.select;
    if (register !== 0x10 || size !== 4) return 0;
    switch (this.select) {
      case 0x00: case 0x02: return this.id << 24;
      case 0x01: return VERSION;
      default: {
        const pin = (this.select - 0x10) >> 1;
        if (pin < 0 || pin >= PINS) return 0;
        return (this.select & 1) !== 0 ? this.high[pin]! : this.low[pin]!;
      }
    }
  }

  write(offset: number, size: number, value: number): void {
    const register = offset & 0xff;
    if (register === 0x00) {
      this.select = value & 0xff;
      return;
    }
    if (size !== 4) return;
    if (register === 0x40) {
      this.endOfInterrupt(value & 0xff);
      return;
    }
    if (register !== 0x10) return;
    if (this.select === 0x00) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    const pin = (this.select - 0x10) >> 1;
    if (pin < 0 || pin >= PINS) return;
    if ((this.select & 1) !== 0) {
      this.high[pin] = value & 0xff000000;
      return;
    }
    const entry = (value & ~READ_ONLY) | (this.low[pin]! & READ_ONLY);
    // An edge-triggered entry has no remote IRR (QEMU's ioapic_fix_edge_remote_irr).
    this.low[pin] = (entry & LEVEL_TRIGGERED) !== 0 ? entry : entry & ~REMOTE_IRR;
    this.serviceLevel(pin);
  }
}
