// The ways a PC's software resets the machine: the keyboard controller's
// pulse of its reset line (command 0xFE to port 0x64), System Control Port A
// at 0x92 (bit 0, fast reset; bit 1, the A20 gate) and the chipset's Reset
// Control Register at 0xCF9 (bit 2 set starts the reset; PIIX3 and later,
// which QEMU models). The lab PC has no firmware to reset into, so a reset
// ends the run, named as such, instead of the write being lost on an absent
// port.
//
// Of the 8042 keyboard controller only its status port is modelled, so that
// the usual reset sequence (wait until status bit 1, input buffer full, is
// clear, then write 0xFE) does not spin forever on an absent port's 0xFF.
// Commands 0xF0-0xFF pulse the output port's low bits for each 0 in the
// command's low nibble; bit 0 is the CPU's reset line, so every even one
// resets, as on QEMU's i8042. Other commands, and port 0x60, go nowhere.
//
// A20 is always on (there is no real mode to wrap addresses for): port 0x92
// reads bit 1 set whatever was written. The device also takes dword writes
// to 0xCF8, PCI's CONFIG_ADDRESS, so that a kernel probing for PCI does not
// reset the machine by the byte of the address that would land on 0xCF9;
// the lab PC has no PCI devices, and the address goes nowhere.

import type { PortDevice } from './ports.ts';

export const KEYBOARD_CONTROLLER = 0x64;
export const SYSTEM_CONTROL_A = 0x92;
/** 0xCF8-0xCFB: CONFIG_ADDRESS, whose second byte is the Reset Control Register at 0xCF9. */
export const PCI_CONFIG_ADDRESS = 0xcf8;
const RESET_CONTROL = 0xcf9;

const FAST_RESET = 1 << 0;
const A20_ON = 1 << 1;
/** RCR bit 2 (RST_CPU); bits 1 (SYS_RST) and 3 (FULL_RST) only say what kind of reset, and read back. */
const RESET_CPU = 1 << 2;
const RESET_KIND = (1 << 1) | (1 << 3);
/** 8042 status: system flag (self-test passed) and last write a command, both buffers empty, as after QEMU's reset. */
const KEYBOARD_STATUS = 0x1c;

export class ResetPorts implements PortDevice {
  private controlA = A20_ON;
  private resetControl = 0;
  /** How the guest asked for the reset, once it has; the machine then ends the run. */
  reset: string | null = null;

  constructor(private readonly onReset: () => void) {}

  read8(port: number): number {
    if (port === KEYBOARD_CONTROLLER) return KEYBOARD_STATUS;
    if (port === SYSTEM_CONTROL_A) return this.controlA;
    return port === RESET_CONTROL ? this.resetControl : 0xff;
  }

  write32(): void {
    // CONFIG_ADDRESS: no PCI device to select.
  }

  write8(port: number, value: number): void {
    if (port === KEYBOARD_CONTROLLER) {
      if (value >= 0xf0 && (value & 1) === 0) this.request(`port 0x64 (keyboard controller, command 0x${value.toString(16)} pulses the reset line)`);
      return;
    }
    if (port !== SYSTEM_CONTROL_A && port !== RESET_CONTROL) return;
    if (port === SYSTEM_CONTROL_A) {
      // A reset happens on the 0 -> 1 edge of bit 0, as on the chipsets QEMU models.
      const rising = (value & ~this.controlA & FAST_RESET) !== 0;
      this.controlA = (value & FAST_RESET) | A20_ON;
      if (rising) this.request(`port 0x92 (System Control Port A, fast reset bit 0)`);
      return;
    }
    this.resetControl = value & RESET_KIND;
    if ((value & RESET_CPU) !== 0) this.request(`port 0xCF9 (Reset Control Register, value 0x${(value & 0xff).toString(16)})`);
  }

  private request(how: string): void {
    this.reset ??= how;
    this.onReset();
  }
}
