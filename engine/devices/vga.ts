// VGA text mode 3 as a kernel uses it: 80x25 cells at physical 0xB8000, each
// a character byte (code page 437) followed by an attribute byte (foreground
// in bits 3-0, background in bits 6-4, blink in bit 7). The memory is plain
// RAM here; this module only reads it for reports, and models the CRT
// controller registers kernels write to move the hardware cursor.

import type { PortDevice } from './ports.ts';

export const VGA_TEXT_BASE = 0xb8000;
export const TEXT_COLUMNS = 80;
export const TEXT_ROWS = 25;

/**
 * Code page 437 as the VGA character generator draws it, including the
 * glyphs of the control codes (0x01 is a smiling face, not SOH). Byte 0 draws
 * as a blank, so zeroed memory shows an empty screen. One character per
 * byte value, so indexing it with a byte always finds one.
 */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?' +
  '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_' +
  '`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
  'áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
  '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/** The Unicode character VGA draws for a code page 437 byte. */
export function cp437ToUnicode(byte: number): string {
  return CP437[byte & 0xff]!;
}

/** One character cell, for a renderer that shows colours. */
export interface TextCell {
  /** The glyph as Unicode. */
  char: string;
  /** The character byte as stored. */
  code: number;
  /** Attribute byte: foreground bits 3-0, background bits 6-4, blink bit 7. */
  attr: number;
}

/**
 * The screen's cells, row by row. `startCell` is the CRTC start address
 * (VgaCrtc.startAddress()) for kernels that scroll by moving it; memory past
 * the end of `ram` reads as zero.
 */
export function readTextCells(ram: Uint8Array, startCell = 0): TextCell[][] {
  const rows: TextCell[][] = [];
  for (let row = 0; row < TEXT_ROWS; row++) {
    const cells: TextCell[] = [];
    for (let col = 0; col < TEXT_COLUMNS; col++) {
      const addr = VGA_TEXT_BASE + 2 * (startCell + row * TEXT_COLUMNS + col);
      const code = ram[addr] ?? 0;
      cells.push({ char: CP437[code]!, code, attr: ram[addr + 1] ?? 0 });
    }
    rows.push(cells);
  }
  return rows;
}

/**
 * The screen as 25 lines of text, trailing blanks trimmed; attributes are
 * dropped. Every test result carries this, so it reads the bytes directly
 * rather than through readTextCells' 2000 cell objects.
 */
export function readTextScreen(ram: Uint8Array, startCell = 0): string[] {
  const lines: string[] = [];
  for (let row = 0; row < TEXT_ROWS; row++) {
    const first = VGA_TEXT_BASE + 2 * (startCell + row * TEXT_COLUMNS);
    // Bytes 0 and 0x20 both draw as blanks: the line ends after the last other character.
    let end = TEXT_COLUMNS;
    while (end > 0 && ((ram[first + 2 * (end - 1)] ?? 0) & 0xdf) === 0) end--;
    let line = '';
    for (let col = 0; col < end; col++) line += CP437[ram[first + 2 * col] ?? 0];
    lines.push(line);
  }
  return lines;
}

export const CRTC_INDEX = 0x3d4;
export const CRTC_DATA = 0x3d5;
/** Input status 1: reading it also resets the attribute controller's flip-flop on real hardware. */
export const INPUT_STATUS_1 = 0x3da;

const CURSOR_START = 0x0a;
const CURSOR_DISABLE = 0x20;
const START_ADDRESS_HIGH = 0x0c;
const START_ADDRESS_LOW = 0x0d;
const CURSOR_LOCATION_HIGH = 0x0e;
const CURSOR_LOCATION_LOW = 0x0f;
const VERTICAL_RETRACE_END = 0x11;
const PROTECT_0_7 = 0x80;
const OVERFLOW = 0x07;
const LINE_COMPARE_BIT_8 = 0x10;
const VSYNC = 0x08;
const DISPLAY_DISABLED = 0x01;

/** The CRTC registers 0x00-0x18 as the VGA BIOS programs them for mode 3 (80x25 colour text). */
const MODE3_CRTC = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
  0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];

export interface CursorState {
  /** Cell offset from the start of text memory, as the CRTC holds it. */
  offset: number;
  row: number;
  column: number;
  visible: boolean;
}

/**
 * The CRT controller's index/data pair at 0x3D4/0x3D5 (claim 2 ports), and
 * optionally input status 1 at 0x3DA. Registers are stored, not acted on,
 * except as read by cursor() and startAddress().
 */
export class VgaCrtc implements PortDevice {
  /** Indexed by a byte (the index register, or a register number below 0x20), so every read is in range. */
  private readonly regs = new Uint8Array(256);
  private index = 0;
  private retrace = false;

  constructor() {
    this.regs.set(MODE3_CRTC);
  }

  read8(port: number): number {
    switch (port) {
      case CRTC_INDEX: return this.index;
      case CRTC_DATA: return this.regs[this.index]!;
      case INPUT_STATUS_1:
        // No real beam to wait for: retrace alternates on each read, so both
        // "wait while in retrace" and "wait for retrace" loops finish.
        this.retrace = !this.retrace;
        return this.retrace ? VSYNC | DISPLAY_DISABLED : 0;
      default: return 0xff;
    }
  }

  write8(port: number, value: number): void {
    if (port === CRTC_INDEX) {
      this.index = value;
      return;
    }
    if (port !== CRTC_DATA) return;
    // With the protect bit set, registers 0-7 are read-only except the line compare bit of the overflow register.
    if (this.index < 8 && this.regs[VERTICAL_RETRACE_END]! & PROTECT_0_7) {
      if (this.index === OVERFLOW) {
        this.regs[OVERFLOW] = (this.regs[OVERFLOW]! & ~LINE_COMPARE_BIT_8) | (value & LINE_COMPARE_BIT_8);
      }
      return;
    }
    this.regs[this.index] = value;
  }

  /** The hardware cursor as the registers place it. */
  cursor(): CursorState {
    const offset = (this.regs[CURSOR_LOCATION_HIGH]! << 8) | this.regs[CURSOR_LOCATION_LOW]!;
    const cell = offset - this.startAddress();
    return {
      offset,
      row: Math.floor(cell / TEXT_COLUMNS),
      column: ((cell % TEXT_COLUMNS) + TEXT_COLUMNS) % TEXT_COLUMNS,
      visible: !(this.regs[CURSOR_START]! & CURSOR_DISABLE),
    };
  }

  /** The cell shown at the top left (registers 0x0C/0x0D). */
  startAddress(): number {
    return (this.regs[START_ADDRESS_HIGH]! << 8) | this.regs[START_ADDRESS_LOW]!;
  }

  /** A CRTC register as last written, for inspection. */
  register(index: number): number {
    return this.regs[index & 0xff]!;
  }
}
