// What the firmware has done before a Multiboot loader hands over. On a PC
// (and under QEMU, whose SeaBIOS runs first) the PIC is already initialized
// with the BIOS vectors 0x08-0x0F and 0x70-0x77, the timer IRQ unmasked, and
// the PIT ticking at 18.2 Hz. Kernels must remap the PIC before enabling
// interrupts; one that forgets sees IRQ 0 arrive as vector 8, as on QEMU.
// The local APIC is in virtual-wire mode, as SeaBIOS leaves it: software-
// enabled (SVR 0x1FF), LINT0 ExtINT so the 8259 still reaches the CPU, LINT1
// NMI, both level-triggered, every other LVT entry masked.

import type { PortDevice } from '../devices/ports.ts';
import type { LocalApic } from '../devices/local-apic.ts';

function write(device: PortDevice, port: number, value: number): void {
  device.write8(port, value);
}

export function initializeFirmwareState(pic: PortDevice, pit: PortDevice, apic: LocalApic): void {
  // ICW1 (edge, cascade, ICW4 needed), ICW2 (vector base), ICW3 (cascade wiring), ICW4 (8086 mode).
  write(pic, 0x20, 0x11); write(pic, 0x21, 0x08); write(pic, 0x21, 0x04); write(pic, 0x21, 0x01);
  write(pic, 0xa0, 0x11); write(pic, 0xa1, 0x70); write(pic, 0xa1, 0x02); write(pic, 0xa1, 0x01);
  // Masks: timer, keyboard and cascade open on the master; the slave all masked.
  write(pic, 0x21, 0xf8);
  write(pic, 0xa1, 0xff);
  // PIT channel 0: lobyte/hibyte, mode 3 (square wave), count 0 = 65536: 18.2 Hz.
  write(pit, 0x43, 0x36); write(pit, 0x40, 0x00); write(pit, 0x40, 0x00);
  // SVR, then LVT LINT0 (0x350) and LINT1 (0x360): QEMU's SeaBIOS values.
  apic.write(0xf0, 4, 0x1ff);
  apic.write(0x350, 4, 0x8700);
  apic.write(0x360, 4, 0x8400);
}
