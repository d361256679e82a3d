// gdb's Remote Serial Protocol, the framing only: packets are
// `$payload#cc` (cc: the payload's byte sum mod 256, two hex digits),
// acknowledged with `+` (or `-` to ask again); `}` escapes the next byte
// XOR 0x20; a bare 0x03 outside a packet is an interrupt (Ctrl-C). Anything
// else between packets is noise and is dropped. A packet longer than the
// limit is refused rather than buffered without end.

export const MAX_PACKET = 16 * 1024;

export type Received = { kind: 'packet'; payload: string } | { kind: 'interrupt' } | { kind: 'bad-checksum' } | { kind: 'too-long' };

/** Splits a byte stream into packets, acks and interrupts. */
export class PacketReader {
  private state: 'idle' | 'payload' | 'escape' | 'sum1' | 'sum2' = 'idle';
  private payload: number[] = [];
  private sum = 0;
  private given = '';

  /** Everything `bytes` completes, in order. */
  feed(bytes: Uint8Array): Received[] {
    const out: Received[] = [];
    for (const b of bytes) {
      switch (this.state) {
        case 'idle':
          if (b === 0x24 /* $ */) {
            this.state = 'payload';
            this.payload = [];
            this.sum = 0;
          } else if (b === 0x03) {
            out.push({ kind: 'interrupt' });
          }
          break;
        case 'payload':
        case 'escape':
          if (this.state === 'payload' && b === 0x23 /* # */) {
            this.state = 'sum1';
            break;
          }
          this.sum = (this.sum + b) & 0xff;
          if (this.state === 'payload' && b === 0x7d /* } */) {
            this.state = 'escape';
            break;
          }
          this.payload.push(this.state === 'escape' ? b ^ 0x20 : b);
          this.state = 'payload';
          if (this.payload.length > MAX_PACKET) {
            this.state = 'idle';
            out.push({ kind: 'too-long' });
          }
          break;
        case 'sum1':
          this.given = String.fromCharCode(b);
          this.state = 'sum2';
          break;
        case 'sum2': {
          this.state = 'idle';
          const given = parseInt(this.given + String.fromCharCode(b), 16);
          if (given === this.sum) out.push({ kind: 'packet', payload: Buffer.from(this.payload).toString('latin1') });
          else out.push({ kind: 'bad-checksum' });
          break;
        }
      }
    }
    return out;
  }
}

/** `payload` framed as a packet, with the bytes the protocol reserves escaped. */
export function framePacket(payload: string): Buffer {
  const body: number[] = [];
  for (const b of Buffer.from(payload, 'latin1')) {
    if (b === 0x23 || b === 0x24 || b === 0x7d || b === 0x2a) body.push(0x7d, b ^ 0x20);
    else body.push(b);
  }
  let sum = 0;
  for (const b of body) sum = (sum + b) & 0xff;
  return Buffer.concat([Buffer.from('$'), Buffer.from(body), Buffer.from(`#${sum.toString(16).padStart(2, '0')}`)]);
}

/** Bytes as two hex digits each, as the protocol sends memory and registers. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A 32-bit value in target (little-endian) byte order, as 8 hex digits. */
export function le32Hex(v: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b.toString('hex');
}
