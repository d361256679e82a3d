// Numbers in hexadecimal for the engine's messages, diagnostics and event text.
// One home, so that an address reads the same in a fault reason, a loader
// error and an event line.

/**
 * `value` in hex, at least `digits` wide, no prefix: `hexDigits(0x1f, 4)` is `001f`.
 * A negative int32 reads as unsigned; 2^32 or more (the end of a range) prints in full.
 */
export function hexDigits(value: number, digits = 8): string {
  return (value < 0 ? value >>> 0 : value).toString(16).padStart(digits, '0');
}

/** An address or a 32-bit value: `0x0010000c` (loader messages, fault reasons). */
export function hex32(value: number): string {
  return '0x' + hexDigits(value, 8);
}

/** A selector or another 16-bit value: `0x001b`. */
export function hex16(value: number): string {
  return '0x' + hexDigits(value & 0xffff, 4);
}

/** An opcode or ModRM byte as the SDM writes it in encodings: `0F AE`. */
export function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, '0');
}

/** Where code is, as the SDM writes a far address: `001b:08048000` (selector:offset). */
export function csEip(cs: number, eip: number): string {
  return `${hexDigits(cs & 0xffff, 4)}:${hexDigits(eip)}`;
}

/** The instruction-count column of event and trace lines: `[     123456]`, or blanks when there is no count. */
export function icountColumn(icount: number | undefined): string {
  return `[${icount === undefined ? ' '.repeat(11) : String(icount).padStart(11)}]`;
}
