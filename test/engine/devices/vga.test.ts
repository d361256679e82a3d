// Text mode 3 memory read back as the screen shows it, and the CRT
// controller's cursor registers.
import { describe, expect, it } from 'vitest';
import { readTextCells, readTextScreen, VgaCrtc, VGA_TEXT_BASE } from '../../../engine/devices/vga.ts';

function screenWith(rows: Record<number, string>, attr = 0x07): Uint8Array {
  const ram = new Uint8Array(0x100000);
  for (const [row, text] of Object.entries(rows)) {
    for (let i = 0; i < text.length; i++) {
      const addr = VGA_TEXT_BASE + 2 * (Number(row) * 80 + i);
      ram[addr] = text.charCodeAt(i);
      ram[addr + 1] = attr;
    }
  }
  return ram;
}

describe('readTextScreen', () => {
  it('gives 25 lines with trailing blanks trimmed', () => {
    const ram = screenWith({ 0: 'Hello, kernel   ', 24: 'bottom' });
    const lines = readTextScreen(ram);
    expect(lines).toHaveLength(25);
    expect(lines[0]).toBe('Hello, kernel');
    expect(lines[1]).toBe('');
    expect(lines[24]).toBe('bottom');
  });

  it('shows zeroed memory as a blank screen', () => {
    expect(readTextScreen(new Uint8Array(0x100000)).every((l) => l === '')).toBe(true);
  });

  it('uses the full 80 columns of a row and nothing of the next', () => {
    const ram = screenWith({ 3: 'x'.repeat(80), 4: 'y' });
    const lines = readTextScreen(ram);
    expect(lines[3]).toBe('x'.repeat(80));
    expect(lines[4]).toBe('y');
  });

  it('maps code page 437, control-code glyphs included', () => {
    const ram = new Uint8Array(0x100000);
    [0xc9, 0xcd, 0xbb, 0x01, 0x03, 0xdb, 0xb0, 0xe1, 0x9c, 0x82].forEach((b, i) => { ram[VGA_TEXT_BASE + 2 * i] = b; });
    expect(readTextScreen(ram)[0]).toBe('╔═╗☺♥█░ß£é');
  });

  it('starts at the CRTC start address when given', () => {
    const ram = screenWith({ 0: 'scrolled away', 1: 'now on top' });
    expect(readTextScreen(ram, 80)[0]).toBe('now on top');
  });

  it('says what readTextCells says, line by line, trailing blanks (bytes 0 and 0x20) trimmed', () => {
    const ram = new Uint8Array(0x100000);
    let seed = 12345;
    for (let i = 0; i < 4000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Mostly blanks of both kinds, some of every other byte, so rows end in every way.
      const r = seed >>> 16;
      ram[VGA_TEXT_BASE + i] = r % 3 === 0 ? 0 : r % 3 === 1 ? 0x20 : r & 0xff;
    }
    const expected = readTextCells(ram).map((cells) => cells.map((c) => c.char).join('').replace(/ +$/, ''));
    expect(readTextScreen(ram)).toEqual(expected);
    expect(readTextScreen(ram, 7)).toEqual(readTextCells(ram, 7).map((cells) => cells.map((c) => c.char).join('').replace(/ +$/, '')));
  });

  it('reads memory missing from a small RAM as blank', () => {
    expect(readTextScreen(new Uint8Array(0xb8000 + 10))[0]).toBe('');
  });
});

describe('readTextCells', () => {
  it('keeps each cell\'s byte and attribute', () => {
    const ram = screenWith({ 2: 'A' }, 0x1f);
    const cells = readTextCells(ram);
    expect(cells).toHaveLength(25);
    expect(cells[2]).toHaveLength(80);
    expect(cells[2]![0]).toEqual({ char: 'A', code: 0x41, attr: 0x1f });
    expect(cells[2]![1]).toEqual({ char: ' ', code: 0, attr: 0 });
  });
});

describe('VgaCrtc', () => {
  it('places the cursor from registers 0x0E/0x0F', () => {
    const crtc = new VgaCrtc();
    const pos = 5 * 80 + 17;
    crtc.write8(0x3d4, 0x0f);
    crtc.write8(0x3d5, pos & 0xff);
    crtc.write8(0x3d4, 0x0e);
    crtc.write8(0x3d5, pos >> 8);
    expect(crtc.cursor()).toEqual({ offset: pos, row: 5, column: 17, visible: true });
    expect(crtc.read8(0x3d4)).toBe(0x0e);
    expect(crtc.read8(0x3d5)).toBe(pos >> 8);
  });

  it('hides the cursor with bit 5 of the cursor start register', () => {
    const crtc = new VgaCrtc();
    crtc.write8(0x3d4, 0x0a);
    crtc.write8(0x3d5, 0x20);
    expect(crtc.cursor().visible).toBe(false);
  });

  it('starts with the mode 3 register values', () => {
    const crtc = new VgaCrtc();
    crtc.write8(0x3d4, 0x01);
    expect(crtc.read8(0x3d5)).toBe(0x4f); // horizontal display end: 80 columns
    crtc.write8(0x3d4, 0x0b);
    expect(crtc.read8(0x3d5)).toBe(0x0e);
  });

  it('protects registers 0-7 while bit 7 of register 0x11 is set', () => {
    const crtc = new VgaCrtc();
    crtc.write8(0x3d4, 0x01);
    crtc.write8(0x3d5, 0x27);
    expect(crtc.register(0x01)).toBe(0x4f);
    crtc.write8(0x3d4, 0x11);
    crtc.write8(0x3d5, 0x0e);
    crtc.write8(0x3d4, 0x01);
    crtc.write8(0x3d5, 0x27);
    expect(crtc.register(0x01)).toBe(0x27);
  });

  it('stores other registers and reports the start address', () => {
    const crtc = new VgaCrtc();
    crtc.write8(0x3d4, 0x0c);
    crtc.write8(0x3d5, 0x00);
    crtc.write8(0x3d4, 0x0d);
    crtc.write8(0x3d5, 80);
    expect(crtc.startAddress()).toBe(80);
    crtc.write8(0x3d4, 0x0f);
    crtc.write8(0x3d5, 85);
    expect(crtc.cursor()).toMatchObject({ offset: 85, row: 0, column: 5 });
  });

  it('input status 1 alternates retrace so wait loops end', () => {
    const crtc = new VgaCrtc();
    const a = crtc.read8(0x3da) & 0x08;
    const b = crtc.read8(0x3da) & 0x08;
    expect(a ^ b).toBe(0x08);
  });
});
