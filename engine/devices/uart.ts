// COM1: the transmit side of a 16550 UART at 0x3F8 as a kernel driver sees it.
// The line is infinitely fast: the transmitter is always empty (LSR THRE and
// TEMT set), so polling drivers never wait. Receive and interrupts: part 2.

import type { PortDevice } from './ports.ts';
import type { OutputSink } from './output.ts';

export const COM1 = 0x3f8;

const LSR_DATA_READY = 0x01;
const LSR_THR_EMPTY = 0x20;
const LSR_TRANSMITTER_EMPTY = 0x40;
const LCR_DLAB = 0x80;

export class Uart implements PortDevice {
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scratch = 0;
  private divisor = 1;
  private readonly input: Uint8Array;
  private inputPos = 0;

  constructor(private readonly sink: OutputSink, input: Uint8Array = new Uint8Array(0)) {
    this.input = input;
  }

  read8(port: number): number {
    switch (port - COM1) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.inputPos < this.input.length ? this.input[this.inputPos++] : 0;
      case 1: return this.lcr & LCR_DLAB ? this.divisor >>> 8 : this.ier;
      case 2: return 0x01; // IIR: no interrupt pending
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | (this.inputPos < this.input.length ? LSR_DATA_READY : 0);
      case 6: return 0xb0; // MSR: CTS, DSR, DCD asserted
      default: return this.scratch;
    }
  }

  write8(port: number, value: number): void {
    switch (port - COM1) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | value;
        else this.sink.put(value, 'com1');
        return;
      case 1:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff) | (value << 8);
        else this.ier = value & 0x0f;
        return;
      case 3: this.lcr = value; return;
      case 4: this.mcr = value & 0x1f; return;
      case 7: this.scratch = value; return;
      default: return; // FCR and read-only registers
    }
  }
}
