// COM1 as the NS16550A datasheet describes it, on an infinitely fast line:
// transmit, receive, IIR priorities and clearing, FIFO bits, loopback, and
// IRQ 4 gated by IER and by OUT2 the PC way.
import { describe, expect, it } from 'vitest';
import { Uart, COM1 } from '../../../engine/devices/uart.ts';
import { OutputSink } from '../../../engine/devices/output.ts';

const THR = COM1, RBR = COM1, IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2, LCR = COM1 + 3;
const MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6, SCR = COM1 + 7;
const OUT2 = 0x08;

function rig(input = '') {
  const sent: number[] = [];
  const sink = new OutputSink((chunk) => sent.push(...chunk));
  /** Every level change on IRQ 4, in order. */
  const irq: boolean[] = [];
  const uart = new Uart(sink, new TextEncoder().encode(input), (level) => irq.push(level));
  const output = () => {
    sink.flush();
    return String.fromCharCode(...sent);
  };
  const line = () => irq.length > 0 && irq[irq.length - 1];
  return { uart, output, irq, line };
}

describe('transmit', () => {
  it('sends THR bytes to the sink; THR and the transmitter always read empty', () => {
    const { uart, output } = rig();
    for (const c of 'ok\n') uart.write8(THR, c.charCodeAt(0));
    expect(output()).toBe('ok\n');
    expect(uart.read8(LSR) & 0x60).toBe(0x60);
  });

  it('DLAB switches offsets 0 and 1 to the divisor latch', () => {
    const { uart, output } = rig();
    uart.write8(LCR, 0x80);
    uart.write8(THR, 0x03);
    uart.write8(IER, 0x00);
    uart.write8(LCR, 0x03);
    expect(output()).toBe('');
    uart.write8(LCR, 0x83);
    expect(uart.read8(COM1)).toBe(0x03);
    expect(uart.read8(COM1 + 1)).toBe(0x00);
    uart.write8(LCR, 0x03);
    expect(uart.read8(LCR)).toBe(0x03);
  });

  it('keeps the scratch register', () => {
    const { uart } = rig();
    uart.write8(SCR, 0x5a);
    expect(uart.read8(SCR)).toBe(0x5a);
  });
});

describe('receive', () => {
  it('delivers the input one byte at a time through RBR with LSR data ready', () => {
    const { uart } = rig('hi');
    expect(uart.read8(LSR) & 1).toBe(1);
    expect(uart.read8(RBR)).toBe(0x68);
    expect(uart.read8(LSR) & 1).toBe(1);
    expect(uart.read8(RBR)).toBe(0x69);
    expect(uart.read8(LSR) & 1).toBe(0);
  });

  it('RBR keeps the last byte when nothing new has arrived', () => {
    const { uart } = rig('x');
    uart.read8(RBR);
    expect(uart.read8(RBR)).toBe(0x78);
  });

  it('accepts more input later', () => {
    const { uart } = rig('a');
    uart.read8(RBR);
    uart.receive(new TextEncoder().encode('bc'));
    expect(uart.read8(RBR)).toBe(0x62);
    expect(uart.read8(RBR)).toBe(0x63);
    expect(uart.read8(LSR) & 1).toBe(0);
  });
});

describe('interrupt identification', () => {
  it('reads 0x01 (none) with no interrupt enabled', () => {
    const { uart } = rig('pending');
    expect(uart.read8(IIR)).toBe(0x01);
  });

  it('enabling the THR-empty interrupt raises it at once; reading IIR that reports it clears it', () => {
    const { uart } = rig();
    uart.write8(IER, 0x02);
    expect(uart.read8(IIR)).toBe(0x02);
    expect(uart.read8(IIR)).toBe(0x01);
  });

  it('a THR write clears it, and the byte leaving at once sets it again', () => {
    const { uart } = rig();
    uart.write8(IER, 0x02);
    uart.read8(IIR);
    uart.write8(THR, 0x41);
    expect(uart.read8(IIR)).toBe(0x02);
  });

  it('received data (0x04) outranks THR empty (0x02), which stays pending behind it', () => {
    const { uart } = rig('z');
    uart.write8(IER, 0x03);
    expect(uart.read8(IIR)).toBe(0x04);
    expect(uart.read8(IIR)).toBe(0x04);
    uart.read8(RBR);
    expect(uart.read8(IIR)).toBe(0x02);
    expect(uart.read8(IIR)).toBe(0x01);
  });

  it('an overrun in loopback is a line status interrupt (0x06), highest, cleared by reading LSR', () => {
    const { uart } = rig();
    uart.write8(MCR, 0x10);
    uart.write8(IER, 0x05);
    uart.write8(THR, 1);
    uart.write8(THR, 2); // no FIFO: one byte of room
    expect(uart.read8(IIR)).toBe(0x06);
    expect(uart.read8(LSR) & 0x03).toBe(0x03);
    expect(uart.read8(IIR)).toBe(0x04);
    expect(uart.read8(RBR)).toBe(2);
  });

  it('FCR bit 0 enables the FIFOs, shown as 0xC0 in IIR', () => {
    const { uart } = rig();
    uart.write8(FCR, 0xc7);
    expect(uart.read8(IIR)).toBe(0xc1);
    uart.write8(FCR, 0x00);
    expect(uart.read8(IIR)).toBe(0x01);
  });

  it('reads back IER with only its four bits', () => {
    const { uart } = rig();
    uart.write8(IER, 0xff);
    expect(uart.read8(IER)).toBe(0x0f);
  });
});

describe('IRQ 4', () => {
  it('stays low without OUT2, even with an interrupt pending', () => {
    const { uart, line } = rig('x');
    uart.write8(IER, 0x01);
    expect(uart.read8(IIR)).toBe(0x04);
    expect(line()).toBe(false);
    uart.write8(MCR, 0x0b); // DTR, RTS, OUT2
    expect(line()).toBe(true);
    uart.write8(MCR, 0x03);
    expect(line()).toBe(false);
  });

  it('stays low without an enabled source, even with OUT2', () => {
    const { uart, irq } = rig('x');
    uart.write8(MCR, OUT2);
    expect(irq).toEqual([]);
    uart.write8(IER, 0x01);
    expect(irq).toEqual([true]);
    uart.write8(IER, 0x00);
    expect(irq).toEqual([true, false]);
  });

  it('falls when the received byte is read and nothing else is pending', () => {
    const { uart, line } = rig('x');
    uart.write8(MCR, OUT2);
    uart.write8(IER, 0x01);
    uart.read8(RBR);
    expect(line()).toBe(false);
  });

  it('rises again for each byte still waiting, so an edge-triggered PIC sees one request per byte', () => {
    const { uart, irq } = rig('abc');
    uart.write8(MCR, OUT2);
    uart.write8(IER, 0x01);
    uart.read8(RBR);
    uart.read8(RBR);
    uart.read8(RBR);
    expect(irq).toEqual([true, false, true, false, true, false]);
  });

  it('THR-empty interrupts: one rising edge per byte written', () => {
    const { uart, irq } = rig();
    uart.write8(MCR, OUT2);
    uart.write8(IER, 0x02);
    expect(irq).toEqual([true]);
    uart.write8(THR, 0x41);
    uart.write8(THR, 0x42);
    expect(irq).toEqual([true, false, true, false, true]);
    uart.read8(IIR);
    expect(irq.at(-1)).toBe(false);
  });
});

describe('loopback', () => {
  it('returns what is sent instead of sending it (the usual 0xAE probe)', () => {
    const { uart, output } = rig('script');
    uart.write8(MCR, 0x1e);
    uart.write8(THR, 0xae);
    expect(uart.read8(LSR) & 1).toBe(1);
    expect(uart.read8(RBR)).toBe(0xae);
    // The outside input waits while looped back.
    expect(uart.read8(LSR) & 1).toBe(0);
    uart.write8(MCR, 0x0f);
    expect(uart.read8(RBR)).toBe(0x73);
    expect(output()).toBe('');
  });

  it('MSR shows the MCR outputs: RTS as CTS, DTR as DSR, OUT1 as RI, OUT2 as DCD', () => {
    const { uart } = rig();
    expect(uart.read8(MSR) & 0xf0).toBe(0xb0);
    uart.write8(MCR, 0x1a); // loop, OUT2, RTS
    expect(uart.read8(MSR) & 0xf0).toBe(0x90);
    uart.write8(MCR, 0x15); // loop, OUT1, DTR
    expect(uart.read8(MSR) & 0xf0).toBe(0x60);
  });

  it('keeps IRQ 4 low: OUT2 is forced inactive', () => {
    const { uart, irq } = rig();
    uart.write8(MCR, 0x18);
    uart.write8(IER, 0x01);
    uart.write8(THR, 1);
    expect(uart.read8(IIR)).toBe(0x04);
    expect(irq).toEqual([]);
  });

  it('queues up to 16 looped bytes with FIFOs on; FCR bit 1 empties them', () => {
    const { uart } = rig();
    uart.write8(FCR, 0x01);
    uart.write8(MCR, 0x10);
    for (let i = 0; i < 17; i++) uart.write8(THR, i);
    expect(uart.read8(LSR) & 0x02).toBe(0x02);
    const got: number[] = [];
    while (uart.read8(LSR) & 1) got.push(uart.read8(RBR));
    expect(got).toEqual([...Array(16).keys()]);
    uart.write8(THR, 0x55);
    uart.write8(FCR, 0x03);
    expect(uart.read8(LSR) & 1).toBe(0);
  });
});
