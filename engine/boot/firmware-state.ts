// What the firmware has done before a Multiboot loader hands over. On a PC
// (and under QEMU, whose SeaBIOS runs first) the PIC is already initialized
// with the BIOS vectors 0x08-0x0F and 0x70-0x77, the timer IRQ unmasked, and
// the PIT ticking at 18.2 Hz. Kernels must remap the PIC before enabling
// interrupts; one that forgets sees IRQ 0 arrive as vector 8, as on QEMU.

import type { PortDevice } from '../devices/ports.ts';

function write(device: PortDevice, port: number, value: number): void {
  device.write8(port, value);
}

export function initializeFirmwareState(pic: PortDevice, pit: PortDevice): void {
  // ICW1 (edge, cascade, ICW4 needed), ICW2 (vector base), ICW3 (cascade wiring), ICW4 (8086 mode).
  write(pic, 0x20, 0x11); write(pic, 0x21, 0x08); write(pic, 0x21, 0x04); write(pic, 0x21, 0x01);
  write(pic, 0xa0, 0x11); write(pic, 0xa1, 0x70); write(pic, 0xa1, 0x02); write(pic, 0xa1, 0x01);
  // Masks: timer, keyboard and cascade open on the master; the slave all masked.
  write(pic, 0x21, 0xf8);
  write(pic, 0xa1, 0xff);
  // PIT channel 0: lobyte/hibyte, mode 3 (square wave), count 0 = 65536: 18.2 Hz.
  write(pit, 0x43, 0x36); write(pit, 0x40, 0x00); write(pit, 0x40, 0x00);
}
