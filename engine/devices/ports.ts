// The I/O port space: devices claim ports; a read of a port nobody claims
// returns all ones and a write to it is dropped, as on an ISA bus.

export interface PortDevice {
  read8(port: number): number;
  write8(port: number, value: number): void;
  /**
   * For a register that decodes a dword as one access (PCI's CONFIG_ADDRESS
   * at 0xCF8): a dword write at the device's port comes here whole, and is
   * not split into byte writes that would reach its neighbours (0xCF9).
   */
  write32?(port: number, value: number): void;
}

export class PortBus {
  /** Which device answers each port, as an index into `devices` (0: nobody); small to make per machine. */
  private readonly owner = new Uint8Array(0x10000); // indexed by a 16-bit port number, always in range
  private readonly devices: (PortDevice | undefined)[] = [undefined];
  /** Called for every port access when someone watches port I/O (the event stream). */
  onAccess: ((port: number, size: number, value: number, write: boolean) => void) | null = null;

  claim(first: number, count: number, device: PortDevice): void {
    let index = this.devices.indexOf(device);
    if (index < 0) index = this.devices.push(device) - 1;
    if (index > 0xff) throw new Error('more than 255 port devices on one bus');
    for (let p = first; p < first + count; p++) this.owner[p] = index;
  }

  in8(port: number): number {
    const d = this.devices[this.owner[port & 0xffff]!];
    const v = d ? d.read8(port & 0xffff) & 0xff : 0xff;
    if (this.onAccess) this.onAccess(port, 1, v, false);
    return v;
  }

  out8(port: number, value: number): void {
    if (this.onAccess) this.onAccess(port, 1, value & 0xff, true);
    const d = this.devices[this.owner[port & 0xffff]!];
    if (d) d.write8(port & 0xffff, value & 0xff);
  }

  // Wider accesses are byte accesses to consecutive ports, which is how the
  // 8-bit ISA devices of the lab PC see them.
  in16(port: number): number {
    return this.in8(port) | (this.in8(port + 1) << 8);
  }

  in32(port: number): number {
    return this.in16(port) | (this.in16(port + 2) << 16);
  }

  out16(port: number, value: number): void {
    this.out8(port, value);
    this.out8(port + 1, value >>> 8);
  }

  out32(port: number, value: number): void {
    const d = this.devices[this.owner[port & 0xffff]!];
    if (d?.write32) {
      if (this.onAccess) this.onAccess(port, 4, value, true);
      d.write32(port & 0xffff, value);
      return;
    }
    this.out16(port, value);
    this.out16(port + 2, value >>> 16);
  }
}
