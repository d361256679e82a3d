// COM1: a 16550A UART at 0x3F8 as a kernel driver sees it, from the NS16550A
// datasheet, with IRQ 4 wired the PC way.
//
// The line is infinitely fast and never fails:
// - Transmit: a byte written to THR is sent at once, so THR and the
//   transmitter are always empty (LSR THRE and TEMT set) and polling drivers
//   never wait. With the THR-empty interrupt enabled, each write is followed
//   at once by a new THR-empty interrupt (the line drops and rises again, so
//   an edge-triggered PIC sees one request per byte).
// - Receive: the serial input (the test script's bytes) is available from the
//   start, one byte at a time through RBR: the next byte arrives as soon as
//   the previous one is read. Arrival is tied to reads, not to virtual time,
//   so a run is deterministic whatever the host does. A driver that drains
//   RBR while initialising consumes script bytes; clearing the receive FIFO
//   (FCR bit 1) does not, since bytes still "on the line" are not in it.
//   Each byte taken while more are waiting re-raises the interrupt line, so a
//   handler that reads one byte per interrupt sees one interrupt per byte, as
//   with a real line where bytes arrive apart.
// - No errors, breaks or modem line changes ever happen from outside: the
//   modem status interrupt never fires and MSR shows CTS, DSR and DCD.
//
// Loopback (MCR bit 4), which driver probes use (write 0xAE, expect it back):
// transmitted bytes come back through the receiver instead of leaving, MSR
// shows the MCR outputs, and the outside input waits. Looped bytes queue in
// the receive FIFO (16 bytes; 1 without FIFO); one more sets overrun.
//
// The interrupt line: the 16550's INTRPT reaches IRQ 4 only through a buffer
// enabled by OUT2 (MCR bit 3), as on every PC serial card; in loopback OUT2
// is forced inactive, so no interrupt reaches the PIC. (QEMU does not gate
// with OUT2; a driver that forgets OUT2 works there and not on hardware or
// here.) The FIFO receive timeout interrupt (IIR 0x0C) is not modelled:
// received data always identifies as 0x04, whatever the trigger level.

import type { PortDevice } from './ports.ts';
import type { OutputSink } from './output.ts';

export const COM1 = 0x3f8;
export const COM1_IRQ = 4;

const IER_RECEIVED_DATA = 0x01;
const IER_THR_EMPTY = 0x02;
const IER_LINE_STATUS = 0x04;

const IIR_NONE = 0x01;
const IIR_LINE_STATUS = 0x06;
const IIR_RECEIVED_DATA = 0x04;
const IIR_THR_EMPTY = 0x02;
const IIR_FIFOS_ENABLED = 0xc0;

const FCR_ENABLE = 0x01;
const FCR_CLEAR_RECEIVE = 0x02;

const LCR_DLAB = 0x80;

const MCR_DTR = 0x01;
const MCR_RTS = 0x02;
const MCR_OUT1 = 0x04;
const MCR_OUT2 = 0x08;
const MCR_LOOPBACK = 0x10;

const LSR_DATA_READY = 0x01;
const LSR_OVERRUN = 0x02;
const LSR_THR_EMPTY = 0x20;
const LSR_TRANSMITTER_EMPTY = 0x40;

const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_RI = 0x40;
const MSR_DCD = 0x80;

const FIFO_SIZE = 16;

export class Uart implements PortDevice {
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scratch = 0;
  private divisor = 1;
  private fifoEnabled = false;
  private input: Uint8Array;
  private inputPos = 0;
  /** Bytes in the receiver that came from loopback. */
  private received: number[] = [];
  /** RBR keeps the last byte received; reading it again with nothing new returns it. */
  private lastReceived = 0;
  private overrun = false;
  /** The THR-empty interrupt is pending: set when THR empties with it enabled, cleared by an IIR read that reports it or a THR write. */
  private thrEmptyPending = false;
  private irqLevel = false;

  /**
   * @param input the serial input, readable from the start of the run.
   * @param setIrq4 drives IRQ 4; called only when the level changes.
   */
  constructor(
    private readonly sink: OutputSink,
    input: Uint8Array = new Uint8Array(0),
    private readonly setIrq4: (level: boolean) => void = () => {},
  ) {
    this.input = input;
  }

  /** More bytes on the line, after those given at construction (for interactive test scripts). */
  receive(bytes: Uint8Array): void {
    const rest = this.input.subarray(this.inputPos);
    const joined = new Uint8Array(rest.length + bytes.length);
    joined.set(rest);
    joined.set(bytes, rest.length);
    this.input = joined;
    this.inputPos = 0;
    this.updateIrq();
  }

  read8(port: number): number {
    switch (port - COM1) {
      case 0:
        if (this.lcr & LCR_DLAB) return this.divisor & 0xff;
        return this.readReceiveBuffer();
      case 1: return this.lcr & LCR_DLAB ? this.divisor >>> 8 : this.ier;
      case 2: return this.readInterruptIdentification();
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return this.readLineStatus();
      case 6: return this.modemStatus();
      default: return this.scratch;
    }
  }

  write8(port: number, value: number): void {
    switch (port - COM1) {
      case 0:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        return;
      case 1:
        if (this.lcr & LCR_DLAB) this.divisor = (this.divisor & 0xff) | (value << 8);
        else this.writeInterruptEnable(value);
        return;
      case 2: this.writeFifoControl(value); return;
      case 3: this.lcr = value; return;
      case 4:
        this.mcr = value & 0x1f;
        this.updateIrq();
        return;
      case 7: this.scratch = value; return;
      default: return; // LSR and MSR: writes are for factory testing only
    }
  }

  private get loopback(): boolean {
    return (this.mcr & MCR_LOOPBACK) !== 0;
  }

  private dataReady(): boolean {
    return this.received.length > 0 || (!this.loopback && this.inputPos < this.input.length);
  }

  private readReceiveBuffer(): number {
    if (this.received.length > 0) this.lastReceived = this.received.shift()!;
    else if (!this.loopback && this.inputPos < this.input.length) this.lastReceived = this.input[this.inputPos++]!;
    this.updateIrq(true);
    return this.lastReceived;
  }

  private transmit(value: number): void {
    if (this.loopback) this.loopBack(value);
    else this.sink.put(value, 'com1');
    // Writing THR clears the THR-empty interrupt; the byte leaves at once, so THR is empty again.
    this.thrEmptyPending = false;
    this.updateIrq();
    this.thrEmptyPending = (this.ier & IER_THR_EMPTY) !== 0;
    this.updateIrq();
  }

  private loopBack(value: number): void {
    const capacity = this.fifoEnabled ? FIFO_SIZE : 1;
    if (this.received.length < capacity) {
      this.received.push(value);
      return;
    }
    // Datasheet: without FIFOs the new character overwrites RBR; with them the FIFO keeps its contents.
    if (!this.fifoEnabled) this.received[0] = value;
    this.overrun = true;
  }

  private writeInterruptEnable(value: number): void {
    const enabling = value & ~this.ier;
    this.ier = value & 0x0f;
    // THR is always empty, so enabling its interrupt raises it at once; disabling drops it.
    if (enabling & IER_THR_EMPTY) this.thrEmptyPending = true;
    if (!(this.ier & IER_THR_EMPTY)) this.thrEmptyPending = false;
    this.updateIrq();
  }

  /**
   * FCR: bit 0 enables the FIFOs (changing it empties them); bit 1 empties
   * the receive FIFO and counts only with bit 0 set. The trigger level (bits
   * 7-6) has no effect here: received data interrupts from the first byte.
   */
  private writeFifoControl(value: number): void {
    const enable = (value & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled || (enable && value & FCR_CLEAR_RECEIVE)) this.received = [];
    this.fifoEnabled = enable;
    this.updateIrq();
  }

  /** The pending interrupt of highest priority: line status, then received data, then THR empty. */
  private interruptId(): number {
    if (this.ier & IER_LINE_STATUS && this.overrun) return IIR_LINE_STATUS;
    if (this.ier & IER_RECEIVED_DATA && this.dataReady()) return IIR_RECEIVED_DATA;
    if (this.thrEmptyPending) return IIR_THR_EMPTY;
    return IIR_NONE;
  }

  private readInterruptIdentification(): number {
    const id = this.interruptId();
    if (id === IIR_THR_EMPTY) {
      this.thrEmptyPending = false;
      this.updateIrq();
    }
    return id | (this.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
  }

  private readLineStatus(): number {
    const lsr = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | (this.dataReady() ? LSR_DATA_READY : 0) | (this.overrun ? LSR_OVERRUN : 0);
    if (this.overrun) {
      this.overrun = false;
      this.updateIrq();
    }
    return lsr;
  }

  private modemStatus(): number {
    if (!this.loopback) return MSR_CTS | MSR_DSR | MSR_DCD;
    // Loopback wires RTS to CTS, DTR to DSR, OUT1 to RI and OUT2 to DCD.
    const m = this.mcr;
    return (m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_OUT1 ? MSR_RI : 0) | (m & MCR_OUT2 ? MSR_DCD : 0);
  }

  /**
   * Drives IRQ 4 from the interrupt state. With `reArm`, a line that stays
   * high because another received byte is waiting drops and rises again: that
   * byte is a new arrival, and an edge-triggered PIC must see it as one.
   */
  private updateIrq(reArm = false): void {
    const level = (this.mcr & (MCR_OUT2 | MCR_LOOPBACK)) === MCR_OUT2 && this.interruptId() !== IIR_NONE;
    if (reArm && level && this.irqLevel && this.interruptId() === IIR_RECEIVED_DATA) {
      this.setIrq4(false);
      this.setIrq4(true);
      return;
    }
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.setIrq4(level);
    }
  }
}
