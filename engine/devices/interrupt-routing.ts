// How device interrupts reach the CPU on the lab PC, as on a PC with an
// APIC in virtual-wire mode: every ISA IRQ line goes both to the 8259 pair
// and to the I/O APIC; the I/O APIC sends vectors to the local APIC; the
// 8259's INTR reaches the CPU through the local APIC's LINT0 (ExtINT). The
// firmware leaves the APIC software-enabled, LINT0 open and every I/O APIC
// pin masked, so a kernel that programs only the 8259 (labs 1-6) sees the
// 8259 alone, and one that programs the APICs masks the 8259 itself.
//
// When both have a request, the local APIC's vector is taken first (QEMU's
// cpu_get_pic_interrupt does the same): an ExtINT request has no priority
// the APIC could compare.

import { IoApic } from './io-apic.ts';
import { LocalApic, type LocalApicWiring } from './local-apic.ts';
import { MmioBus } from './mmio.ts';
import { Pic } from './pic.ts';

export class InterruptRouting {
  readonly pic = new Pic();
  readonly apic: LocalApic;
  readonly ioApic: IoApic;
  /** The APICs' registers in the physical address space. */
  readonly mmio: MmioBus;

  constructor(wiring: Omit<LocalApicWiring, 'eoiLevel'>) {
    this.apic = new LocalApic({ ...wiring, eoiLevel: (vector) => this.ioApic.endOfInterrupt(vector) });
    this.ioApic = new IoApic((vector, destination, logical, mode, level) => this.apic.receive(vector, destination, logical, mode, level));
    this.mmio = new MmioBus([this.apic, this.ioApic]);
    this.pic.onChange = wiring.changed;
  }

  /** ISA IRQ line `irq` as a device drives it: the 8259 and the I/O APIC both see it. */
  isaIrq(irq: number): (level: boolean) => void {
    return (level) => {
      this.pic.setIrq(irq, level);
      this.ioApic.setIsaIrq(irq, level);
    };
  }

  /** An interrupt the CPU would take now if IF allowed it. */
  hasInterrupt(): boolean {
    return this.apic.hasInterrupt() || (this.apic.acceptsPic() && this.pic.hasInterrupt());
  }

  /** The CPU's acknowledge: the vector to deliver; call only when hasInterrupt(). */
  acknowledge(): number {
    const vector = this.apic.acknowledge();
    return vector >= 0 ? vector : this.pic.acknowledge();
  }
}
