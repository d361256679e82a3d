// Devices in the physical address space above RAM: the local APIC at
// 0xFEE00000 and the I/O APIC at 0xFEC00000, each one 4 KiB page. Only a
// program's own loads and stores reach them (CpuMemory's data paths); the
// inspector and the CPU's reads of its own tables see the open bus there, so
// that looking at memory never has a device's side effects (an APIC read of
// an unknown register sets an error bit).
//
// A dword access that stays within the page reaches the device as one access
// of size 4; narrower accesses come one byte at a time, which is how each
// device below decides what a byte or a word access does (QEMU's APIC reads 0
// and ignores writes narrower than a dword, and the lab PC does the same).

import { OPEN_BUS } from '../cpu/state.ts';

export interface MmioDevice {
  /** The physical page number (address >>> 12) the device decodes now, or -1 when it decodes none. */
  page(): number;
  /** A read of `size` bytes (1 or 4) at `offset` within the page; the value in the low `size` bytes. */
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export class MmioBus {
  constructor(private readonly devices: readonly MmioDevice[]) {}

  /** A load by the program at physical address `phys` (unsigned): the device's answer, or all ones. */
  read(phys: number, size: number): number {
    const device = this.deviceAt(phys);
    if (device) return device.read(phys & 0xfff, size);
    return size === 1 ? OPEN_BUS : -1;
  }

  /** A store by the program; dropped where no device answers, as a write to no RAM is. */
  write(phys: number, size: number, value: number): void {
    this.deviceAt(phys)?.write(phys & 0xfff, size, value);
  }

  /** Whether a device answers at `phys` (rather than the open bus). */
  claims(phys: number): boolean {
    return this.deviceAt(phys) !== undefined;
  }

  private deviceAt(phys: number): MmioDevice | undefined {
    const page = phys >>> 12;
    for (const device of this.devices) if (device.page() === page) return device;
    return undefined;
  }
}
