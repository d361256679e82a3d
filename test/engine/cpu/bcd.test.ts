// Decimal adjust (DAA DAS AAA AAS AAM AAD) and the accumulator/flag transfers
// (CBW/CWDE, CWD/CDQ, SAHF, LAHF, SALC). Expected values follow the SDM
// pseudo-code by hand; undefined flags follow QEMU's int_helper.c.
import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { Vector } from '../../../engine/cpu/exceptions.ts';
import { AF, CF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';
import { CODE, run, statusFlags } from './harness.ts';

const ALL = CF | PF | AF | ZF | SF | OF;

interface Input { eax: number; ebx?: number; edx?: number; flags?: number }
interface Output { eax: number; flags: number }
interface Case { name: string; in: Input; out: Output }

function exec(code: number[], input: Input) {
  return run(code, (cpu: CPU) => {
    cpu.r32[0] = input.eax;
    cpu.r32[3] = input.ebx ?? 0;
    cpu.r32[2] = input.edx ?? 0;
    cpu.setArithFlags(input.flags ?? 0);
  });
}

function table(title: string, code: number[], cases: Case[]): void {
  describe(title, () => {
    it.each(cases)('$name', ({ in: input, out }) => {
      const cpu = exec(code, input);
      expect(cpu.caught).toBeUndefined();
      expect({ eax: cpu.r32[0] >>> 0, flags: statusFlags(cpu) }).toEqual({ eax: out.eax >>> 0, flags: out.flags });
    });
  });
}

// ---- packed BCD ----------------------------------------------------------------------

table('DAA (27): OF is cleared', [0x27], [
  { name: 'low digit above 9 adds 6', in: { eax: 0x0a }, out: { eax: 0x10, flags: AF } },
  { name: '9Ah adjusts both digits to 00h with carry', in: { eax: 0x9a }, out: { eax: 0x00, flags: AF | CF | ZF | PF } },
  { name: 'CF in adds 60h', in: { eax: 0x00, flags: CF }, out: { eax: 0x60, flags: CF | PF } },
  { name: 'AF in adds 6', in: { eax: 0x00, flags: AF }, out: { eax: 0x06, flags: AF | PF } },
  { name: 'FAh: AL + 6 wraps, CF comes from the original AL > 99h', in: { eax: 0xfa }, out: { eax: 0x60, flags: AF | CF | PF } },
  { name: '9Fh', in: { eax: 0x9f }, out: { eax: 0x05, flags: AF | CF | PF } },
  { name: '99h is already decimal', in: { eax: 0x99 }, out: { eax: 0x99, flags: SF | PF } },
  { name: 'OF, ZF, SF in are replaced', in: { eax: 0x12, flags: OF | ZF | SF }, out: { eax: 0x12, flags: PF } },
  { name: 'only AL changes', in: { eax: 0xabcdef0a }, out: { eax: 0xabcdef10, flags: AF } },
]);

// add al, bl ; daa
table('ADD then DAA (SDM example: 79 + 35 = 114)', [0x00, 0xd8, 0x27], [
  { name: '79h + 35h = AEh, adjusted to 14h with carry', in: { eax: 0x79, ebx: 0x35 }, out: { eax: 0x14, flags: CF | AF | PF } },
]);

table('DAS (2F): OF is cleared', [0x2f], [
  { name: 'borrow out of AL - 6 stays in CF (no else-clause in the SDM)', in: { eax: 0x03, flags: AF }, out: { eax: 0xfd, flags: AF | CF | SF } },
  { name: 'low digit above 9 subtracts 6', in: { eax: 0x0a }, out: { eax: 0x04, flags: AF } },
  { name: '9Ah adjusts both digits', in: { eax: 0x9a }, out: { eax: 0x34, flags: AF | CF } },
  { name: 'CF in subtracts 60h', in: { eax: 0x00, flags: CF }, out: { eax: 0xa0, flags: CF | SF | PF } },
  { name: 'AF and CF in', in: { eax: 0x05, flags: AF | CF }, out: { eax: 0x9f, flags: AF | CF | SF | PF } },
  { name: '66h is already decimal', in: { eax: 0x66 }, out: { eax: 0x66, flags: PF } },
  { name: 'no adjustment clears CF and OF', in: { eax: 0x60, flags: OF }, out: { eax: 0x60, flags: PF } },
]);

// sub al, bl ; das
table('SUB then DAS (SDM example: 35 - 47)', [0x28, 0xd8, 0x2f], [
  { name: '35h - 47h = EEh, adjusted to 88h with borrow', in: { eax: 0x35, ebx: 0x47 }, out: { eax: 0x88, flags: AF | CF | SF | PF } },
]);

// ---- unpacked BCD ------------------------------------------------------------------------

table('AAA (37): AX + 106h when adjusting; OF SF ZF PF kept', [0x37], [
  { name: 'AF in: 11h becomes 0107h', in: { eax: 0x0011, flags: AF }, out: { eax: 0x0107, flags: AF | CF } },
  { name: 'low digit Bh', in: { eax: 0x000b }, out: { eax: 0x0101, flags: AF | CF } },
  { name: 'FAh: AL + 6 carries into AH as well', in: { eax: 0x00fa }, out: { eax: 0x0200, flags: AF | CF } },
  { name: 'no adjustment masks the high digit of AL', in: { eax: 0x1235 }, out: { eax: 0x1205, flags: 0 } },
  { name: 'no adjustment clears CF, keeps the rest', in: { eax: 0x0005, flags: ZF | SF | OF | PF | CF }, out: { eax: 0x0005, flags: ZF | SF | OF | PF } },
  { name: 'adjustment keeps ZF and OF', in: { eax: 0x000c, flags: ZF | OF }, out: { eax: 0x0102, flags: AF | CF | ZF | OF } },
  { name: 'AH wraps; bits 16..31 kept', in: { eax: 0x1234ff0a }, out: { eax: 0x12340000, flags: AF | CF } },
]);

// add al, bl ; aaa
table('ADD then AAA', [0x00, 0xd8, 0x37], [
  { name: '8 + 9 = 11h with AF: 0107h, PF of the ADD kept', in: { eax: 0x08, ebx: 0x09 }, out: { eax: 0x0107, flags: AF | CF | PF } },
]);

table('AAS (3F): AX - 6 and AH - 1 when adjusting; OF SF ZF PF kept', [0x3f], [
  { name: 'low digit Bh', in: { eax: 0x010b }, out: { eax: 0x0005, flags: AF | CF } },
  { name: 'AF in, AL < 6 borrows from AH too', in: { eax: 0x0203, flags: AF }, out: { eax: 0x000d, flags: AF | CF } },
  { name: 'AX = 0 with AF wraps', in: { eax: 0x0000, flags: AF }, out: { eax: 0xfe0a, flags: AF | CF } },
  { name: 'no adjustment masks the high digit of AL', in: { eax: 0x0539 }, out: { eax: 0x0509, flags: 0 } },
  { name: 'no adjustment clears CF, keeps the rest', in: { eax: 0x0539, flags: ZF | SF | OF | PF | CF }, out: { eax: 0x0509, flags: ZF | SF | OF | PF } },
]);

table('AAM 10 (D4 0A): SF ZF PF from AL; CF OF AF cleared', [0xd4, 0x0a], [
  { name: '63 = 6:3', in: { eax: 0x3f, flags: CF | OF | AF }, out: { eax: 0x0603, flags: PF } },
  { name: '255 = 25:5, bits 16..31 kept', in: { eax: 0xabcd00ff }, out: { eax: 0xabcd1905, flags: PF } },
  { name: '0, whatever AH held', in: { eax: 0x7700 }, out: { eax: 0, flags: ZF | PF } },
]);

table('AAM 16 (D4 10)', [0xd4, 0x10], [
  { name: 'ABh splits into nibbles', in: { eax: 0xab }, out: { eax: 0x0a0b, flags: 0 } },
]);

table('AAM 255 (D4 FF)', [0xd4, 0xff], [
  { name: 'FEh stays in AL: SF', in: { eax: 0xfe }, out: { eax: 0x00fe, flags: SF } },
]);

table('AAM 1 (D4 01)', [0xd4, 0x01], [
  { name: 'AL moves to AH', in: { eax: 0x80 }, out: { eax: 0x8000, flags: ZF | PF } },
]);

describe('AAM 0 (D4 00)', () => {
  it('raises #DE with AX, flags and EIP unchanged', () => {
    const cpu = exec([0xd4, 0x00], { eax: 0x1234, flags: CF | ZF });
    expect(cpu.caught?.vector).toBe(Vector.DE);
    expect(cpu.eip).toBe(CODE);
    expect(cpu.r32[0]).toBe(0x1234);
    expect(statusFlags(cpu)).toBe(CF | ZF);
  });
});

table('AAD 10 (D5 0A): AL = AH * 10 + AL, AH = 0', [0xd5, 0x0a], [
  { name: '6:7 = 67', in: { eax: 0x0607 }, out: { eax: 0x0043, flags: 0 } },
  { name: '9:9 = 99', in: { eax: 0x0909 }, out: { eax: 0x0063, flags: PF } },
  { name: 'FFh:FFh truncates to 8 bits; CF OF AF cleared', in: { eax: 0xffff, flags: CF | OF | AF }, out: { eax: 0x00f5, flags: SF | PF } },
  { name: 'bits 16..31 kept', in: { eax: 0x12340607 }, out: { eax: 0x12340043, flags: 0 } },
]);

table('AAD 16 (D5 10)', [0xd5, 0x10], [
  { name: '1Ah:00h = A0h', in: { eax: 0x1a00 }, out: { eax: 0x00a0, flags: SF | PF } },
]);

table('AAD 0 (D5 00): no #DE', [0xd5, 0x00], [
  { name: 'AH * 0 + 0', in: { eax: 0x0100 }, out: { eax: 0, flags: ZF | PF } },
]);

// ---- sign extension ----------------------------------------------------------------------

describe('CBW, CWDE, CWD, CDQ: flags untouched', () => {
  const cases: { name: string; code: number[]; eax: number; edx: number; outEax: number; outEdx: number }[] = [
    { name: 'CBW 80h', code: [0x66, 0x98], eax: 0x12345680, edx: 0, outEax: 0x1234ff80, outEdx: 0 },
    { name: 'CBW 7Fh', code: [0x66, 0x98], eax: 0x1234ff7f, edx: 0, outEax: 0x1234007f, outEdx: 0 },
    { name: 'CWDE 8000h', code: [0x98], eax: 0xaaaa8000, edx: 0, outEax: 0xffff8000, outEdx: 0 },
    { name: 'CWDE 7FFFh', code: [0x98], eax: 0xffff7fff, edx: 0, outEax: 0x00007fff, outEdx: 0 },
    { name: 'CWD 8000h', code: [0x66, 0x99], eax: 0x8000, edx: 0x12345678, outEax: 0x8000, outEdx: 0x1234ffff },
    { name: 'CWD 7FFFh', code: [0x66, 0x99], eax: 0xffff7fff, edx: 0x1234ffff, outEax: 0xffff7fff, outEdx: 0x12340000 },
    { name: 'CDQ 80000000h', code: [0x99], eax: 0x80000000, edx: 0, outEax: 0x80000000, outEdx: 0xffffffff },
    { name: 'CDQ 7FFFFFFFh', code: [0x99], eax: 0x7fffffff, edx: 0xffffffff, outEax: 0x7fffffff, outEdx: 0 },
  ];
  it.each(cases)('$name', ({ code, eax, edx, outEax, outEdx }) => {
    const cpu = exec(code, { eax, edx, flags: ALL });
    expect({ eax: cpu.r32[0] >>> 0, edx: cpu.r32[2] >>> 0, flags: statusFlags(cpu) })
      .toEqual({ eax: outEax >>> 0, edx: outEdx >>> 0, flags: ALL });
  });
});

// ---- flags and AH ------------------------------------------------------------------------

describe('SAHF (9E)', () => {
  it('loads SF ZF AF PF CF from AH and keeps OF', () => {
    const cpu = exec([0x9e], { eax: 0xff00, flags: OF });
    expect(statusFlags(cpu)).toBe(SF | ZF | AF | PF | CF | OF);
    // Bits 3 and 5 stay 0 and bit 1 stays 1 whatever AH holds.
    expect(cpu.getFlags() & 0x2a).toBe(0x02);
  });

  it('AH = 0 clears the five, OF survives', () => {
    const cpu = exec([0x9e], { eax: 0x0000, flags: ALL });
    expect(statusFlags(cpu)).toBe(OF);
  });

  it('AH bits 1, 3, 5 set no flag', () => {
    const cpu = exec([0x9e], { eax: 0x2a00 });
    expect(statusFlags(cpu)).toBe(0);
    expect(cpu.getFlags() & 0x2a).toBe(0x02);
  });
});

describe('LAHF (9F): AH = SF:ZF:0:AF:0:PF:1:CF', () => {
  it('all flags set', () => {
    const cpu = exec([0x9f], { eax: 0x12340078, flags: ALL });
    expect(cpu.r32[0] >>> 0).toBe(0x1234d778);
  });

  it('no flags set: only bit 1', () => {
    const cpu = exec([0x9f], { eax: 0xffff, flags: 0 });
    expect(cpu.r32[0]).toBe(0x02ff);
  });

  it('reads flags from a preceding ADD', () => {
    // add al, FFh with AL = 1: 0 with carry, AF from bit 3, PF and ZF
    const cpu = exec([0x04, 0xff, 0x9f], { eax: 1 });
    expect(cpu.r32[0]).toBe(0x5700);
  });
});

describe('SALC (D6): AL = CF ? FFh : 0, flags untouched', () => {
  it('CF set', () => {
    const cpu = exec([0xd6], { eax: 0x12345600, flags: CF });
    expect(cpu.r32[0]).toBe(0x123456ff);
    expect(statusFlags(cpu)).toBe(CF);
  });

  it('CF clear', () => {
    const cpu = exec([0xd6], { eax: 0x12345677, flags: ZF | SF | OF | AF | PF });
    expect(cpu.r32[0]).toBe(0x12345600);
    expect(statusFlags(cpu)).toBe(ZF | SF | OF | AF | PF);
  });

  it('reads CF from a preceding CMP', () => {
    // cmp al, 1 with AL = 0 borrows
    const cpu = exec([0x3c, 0x01, 0xd6], { eax: 0 });
    expect(cpu.r32[0]).toBe(0xff);
  });
});
