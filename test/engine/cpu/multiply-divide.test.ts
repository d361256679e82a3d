// MUL, IMUL (one, two, three operands), DIV and IDIV: results, CF/OF, the
// QEMU-compatible choice for undefined flags, and #DE leaving no trace.
// Expected values are worked out from the SDM definitions, not from the emulator.
import { describe, expect, it } from 'vitest';
import type { CPU } from '../../../engine/cpu/cpu.ts';
import { CpuException, Vector } from '../../../engine/cpu/exceptions.ts';
import { BlockCache } from '../../../engine/cpu/compile/block-cache.ts';
import { runInstructions } from '../../../engine/cpu/execute.ts';
import { AF, CF, OF, PF, SF, ZF } from '../../../engine/cpu/flags.ts';
import { CODE, makeCpu, run, statusFlags } from './harness.ts';

/** An untouched EDX shows an instruction left it alone. */
const EDX_SENTINEL = 0x0badf00d;

interface Input { eax: number; ebx: number; edx?: number; flags?: number }
interface Output { eax: number; edx: number; flags: number }

function exec(code: number[], input: Input, setup?: (cpu: CPU) => void) {
  return run(code, (cpu) => {
    cpu.r32[0] = input.eax;
    cpu.r32[3] = input.ebx;
    cpu.r32[2] = input.edx ?? EDX_SENTINEL;
    cpu.setArithFlags(input.flags ?? 0);
    setup?.(cpu);
  });
}

function result(cpu: CPU): Output {
  return { eax: cpu.r32[0] >>> 0, edx: cpu.r32[2] >>> 0, flags: statusFlags(cpu) };
}

interface Case { name: string; in: Input; out: Output }

function table(title: string, code: number[], cases: Case[]): void {
  describe(title, () => {
    it.each(cases)('$name', ({ in: input, out }) => {
      const cpu = exec(code, input);
      expect(cpu.caught).toBeUndefined();
      expect(result(cpu)).toEqual({ eax: out.eax >>> 0, edx: out.edx >>> 0, flags: out.flags });
    });
  });
}

const S = EDX_SENTINEL;

// ---- MUL ----------------------------------------------------------------------------

table('MUL r/m8 (F6 /4): AX = AL * r/m8', [0xf6, 0xe3], [
  { name: 'fits in AL: CF=OF=0, SF/PF from AL', in: { eax: 0x0f, ebx: 0x0f }, out: { eax: 0xe1, edx: S, flags: SF | PF } },
  { name: '0 * 0', in: { eax: 0, ebx: 0 }, out: { eax: 0, edx: S, flags: ZF | PF } },
  { name: '80h * 2 carries into AH; ZF from AL', in: { eax: 0x80, ebx: 2 }, out: { eax: 0x0100, edx: S, flags: CF | OF | ZF | PF } },
  { name: 'FFh * FFh', in: { eax: 0xff, ebx: 0xff }, out: { eax: 0xfe01, edx: S, flags: CF | OF } },
  { name: 'bits 16..31 of EAX kept', in: { eax: 0x12345603, ebx: 0xffffff03 }, out: { eax: 0x12340009, edx: S, flags: PF } },
]);

table('MUL r/m16 (66 F7 /4): DX:AX = AX * r/m16', [0x66, 0xf7, 0xe3], [
  { name: 'FFFFh * FFFFh, upper halves kept', in: { eax: 0xaaaaffff, ebx: 0xffff, edx: 0x55551234 }, out: { eax: 0xaaaa0001, edx: 0x5555fffe, flags: CF | OF } },
  { name: '1234h * 10h', in: { eax: 0x1234, ebx: 0x10, edx: 0 }, out: { eax: 0x2340, edx: 1, flags: CF | OF } },
  { name: 'ZF looks at all of AX, not AL', in: { eax: 0x100, ebx: 0x80, edx: 0xffff }, out: { eax: 0x8000, edx: 0, flags: SF | PF } },
]);

table('MUL r/m32 (F7 /4): EDX:EAX = EAX * r/m32', [0xf7, 0xe3], [
  { name: 'FFFFFFFFh squared', in: { eax: 0xffffffff, ebx: 0xffffffff }, out: { eax: 1, edx: 0xfffffffe, flags: CF | OF } },
  { name: '80000000h * 2 = 2^32', in: { eax: 0x80000000, ebx: 2 }, out: { eax: 0, edx: 1, flags: CF | OF | ZF | PF } },
  { name: 'FFFFh * 10001h fills EAX exactly', in: { eax: 0xffff, ebx: 0x10001 }, out: { eax: 0xffffffff, edx: 0, flags: SF | PF } },
  { name: 'product beyond 2^53 is exact', in: { eax: 0x12345678, ebx: 0x9abcdef0 }, out: { eax: 0x242d2080, edx: 0x0b00ea4e, flags: CF | OF } },
  { name: '0 * FFFFFFFFh', in: { eax: 0, ebx: 0xffffffff }, out: { eax: 0, edx: 0, flags: ZF | PF } },
]);

// ---- IMUL, one operand ------------------------------------------------------------------

table('IMUL r/m8 (F6 /5): AX = AL * r/m8, signed', [0xf6, 0xeb], [
  { name: '-1 * -1', in: { eax: 0xff, ebx: 0xff }, out: { eax: 0x0001, edx: S, flags: 0 } },
  { name: '-128 * -1 = 128 does not fit in AL', in: { eax: 0x80, ebx: 0xff }, out: { eax: 0x0080, edx: S, flags: CF | OF | SF } },
  { name: '-128 * -128', in: { eax: 0x80, ebx: 0x80 }, out: { eax: 0x4000, edx: S, flags: CF | OF | ZF | PF } },
  { name: '-16 * 8 = -128 fits: AH is its sign extension', in: { eax: 0xf0, ebx: 8 }, out: { eax: 0xff80, edx: S, flags: SF } },
  { name: '127 * 127', in: { eax: 0x7f, ebx: 0x7f }, out: { eax: 0x3f01, edx: S, flags: CF | OF } },
]);

table('IMUL r/m16 (66 F7 /5): DX:AX = AX * r/m16, signed', [0x66, 0xf7, 0xeb], [
  { name: '-32768 * -32768', in: { eax: 0x8000, ebx: 0x8000, edx: 0 }, out: { eax: 0, edx: 0x4000, flags: CF | OF | ZF | PF } },
  { name: '-1 * 2 fits', in: { eax: 0xffff, ebx: 2, edx: 0 }, out: { eax: 0xfffe, edx: 0xffff, flags: SF } },
  { name: '-32768 * -1 = 32768 does not fit in AX', in: { eax: 0x8000, ebx: 0xffff, edx: 0x12340000 }, out: { eax: 0x8000, edx: 0x12340000, flags: CF | OF | SF | PF } },
]);

table('IMUL r/m32 (F7 /5): EDX:EAX = EAX * r/m32, signed', [0xf7, 0xeb], [
  { name: '-2^31 * -1 = 2^31', in: { eax: 0x80000000, ebx: 0xffffffff }, out: { eax: 0x80000000, edx: 0, flags: CF | OF | SF | PF } },
  { name: '-1 * -1', in: { eax: 0xffffffff, ebx: 0xffffffff }, out: { eax: 1, edx: 0, flags: 0 } },
  { name: '-2^31 * -2^31 = 2^62', in: { eax: 0x80000000, ebx: 0x80000000 }, out: { eax: 0, edx: 0x40000000, flags: CF | OF | ZF | PF } },
  { name: '-2 * 3 fits: EDX is all sign', in: { eax: 0xfffffffe, ebx: 3 }, out: { eax: 0xfffffffa, edx: 0xffffffff, flags: SF | PF } },
  { name: '(2^31-1) squared', in: { eax: 0x7fffffff, ebx: 0x7fffffff }, out: { eax: 1, edx: 0x3fffffff, flags: CF | OF } },
  { name: 'positive * negative beyond 2^53 is exact', in: { eax: 0x12345678, ebx: 0x9abcdef0 }, out: { eax: 0x242d2080, edx: 0xf8cc93d6, flags: CF | OF } },
  { name: '-2^30 * 2 = -2^31 fits', in: { eax: 0xc0000000, ebx: 2 }, out: { eax: 0x80000000, edx: 0xffffffff, flags: SF | PF } },
  { name: '2^30 * 2 = 2^31 does not fit', in: { eax: 0x40000000, ebx: 2 }, out: { eax: 0x80000000, edx: 0, flags: CF | OF | SF | PF } },
]);

// ---- IMUL, two and three operands ----------------------------------------------------------

table('IMUL r32, r/m32 (0F AF): EDX untouched', [0x0f, 0xaf, 0xc3], [
  { name: '2^16 * 2^16 truncates to 0', in: { eax: 0x10000, ebx: 0x10000 }, out: { eax: 0, edx: S, flags: CF | OF | ZF | PF } },
  { name: '-1 * -1', in: { eax: 0xffffffff, ebx: 0xffffffff }, out: { eax: 1, edx: S, flags: 0 } },
  { name: '2^30 * 2 overflows', in: { eax: 0x40000000, ebx: 2 }, out: { eax: 0x80000000, edx: S, flags: CF | OF | SF | PF } },
  { name: '-2^30 * 2 fits', in: { eax: 0xc0000000, ebx: 2 }, out: { eax: 0x80000000, edx: S, flags: SF | PF } },
  { name: '(2^31-1) squared keeps the low half', in: { eax: 0x7fffffff, ebx: 0x7fffffff }, out: { eax: 1, edx: S, flags: CF | OF } },
  { name: 'product beyond 2^53', in: { eax: 0x12345678, ebx: 0x9abcdef0 }, out: { eax: 0x242d2080, edx: S, flags: CF | OF } },
]);

table('IMUL r16, r/m16 (66 0F AF)', [0x66, 0x0f, 0xaf, 0xc3], [
  { name: '256 * 128 = 32768 overflows; upper EAX kept', in: { eax: 0xaaaa0100, ebx: 0x80 }, out: { eax: 0xaaaa8000, edx: S, flags: CF | OF | SF | PF } },
  { name: '-256 * 128 = -32768 fits', in: { eax: 0xff00, ebx: 0x80 }, out: { eax: 0x8000, edx: S, flags: SF | PF } },
]);

table('IMUL r32, r/m32, imm32 (69)', [0x69, 0xc3, 0x10, 0x00, 0x00, 0x00], [
  { name: '2^27 * 16 = 2^31 overflows', in: { eax: 0x1111, ebx: 0x08000000 }, out: { eax: 0x80000000, edx: S, flags: CF | OF | SF | PF } },
  { name: '-3 * 16', in: { eax: 0x1111, ebx: 0xfffffffd }, out: { eax: 0xffffffd0, edx: S, flags: SF } },
]);

table('IMUL r32, r/m32, imm32 = 80000000h (69)', [0x69, 0xc3, 0x00, 0x00, 0x00, 0x80], [
  { name: '-1 * -2^31 = 2^31 overflows', in: { eax: 0, ebx: 0xffffffff }, out: { eax: 0x80000000, edx: S, flags: CF | OF | SF | PF } },
]);

table('IMUL r32, r/m32, imm8 = -1 (6B): the byte is sign-extended', [0x6b, 0xc3, 0xff], [
  { name: '5 * -1', in: { eax: 0, ebx: 5 }, out: { eax: 0xfffffffb, edx: S, flags: SF } },
  { name: '-2^31 * -1 overflows', in: { eax: 0, ebx: 0x80000000 }, out: { eax: 0x80000000, edx: S, flags: CF | OF | SF | PF } },
]);

table('IMUL r16, r/m16, imm8 = -2 (66 6B)', [0x66, 0x6b, 0xc3, 0xfe], [
  { name: '16384 * -2 = -32768 fits', in: { eax: 0x77770000, ebx: 0x4000 }, out: { eax: 0x77778000, edx: S, flags: SF | PF } },
]);

table('IMUL r16, r/m16, imm16 = 100h (66 69)', [0x66, 0x69, 0xc3, 0x00, 0x01], [
  { name: '256 * 256 truncates to 0', in: { eax: 0x77771111, ebx: 0x100 }, out: { eax: 0x77770000, edx: S, flags: CF | OF | ZF | PF } },
]);

describe('IMUL with a memory operand', () => {
  it('6B /r reads the displacement before the immediate', () => {
    // imul eax, [ebx+4], 3
    const cpu = exec([0x6b, 0x43, 0x04, 0x03], { eax: 0, ebx: 0x2000 }, (c) => { c.ram32[0x2004 >>> 2] = 7; });
    expect(cpu.caught).toBeUndefined();
    expect(cpu.r32[0]).toBe(21);
    expect(cpu.eip).toBe(CODE + 4);
  });

  it('69 /r with an imm32 after the displacement', () => {
    // imul eax, [ebx+4], 10000h
    const cpu = exec([0x69, 0x43, 0x04, 0x00, 0x00, 0x01, 0x00], { eax: 0, ebx: 0x2000 }, (c) => { c.ram32[0x2004 >>> 2] = 0x10000; });
    expect(result(cpu)).toEqual({ eax: 0, edx: S, flags: CF | OF | ZF | PF });
    expect(cpu.eip).toBe(CODE + 7);
  });

  it('0F AF /r multiplies by a memory dword', () => {
    // imul eax, [ebx]
    const cpu = exec([0x0f, 0xaf, 0x03], { eax: 5, ebx: 0x2000 }, (c) => { c.ram32[0x2000 >>> 2] = -2; });
    expect(cpu.r32[0]).toBe(-10);
  });
});

// ---- DIV -----------------------------------------------------------------------------------

table('DIV r/m8 (F6 /6): AL = AX / r/m8, AH = remainder', [0xf6, 0xf3], [
  { name: '100 / 7', in: { eax: 100, ebx: 7 }, out: { eax: 0x020e, edx: S, flags: 0 } },
  { name: '510 / 2 = 255, the largest quotient', in: { eax: 510, ebx: 2 }, out: { eax: 0x00ff, edx: S, flags: 0 } },
  { name: '0 / 5', in: { eax: 0, ebx: 5 }, out: { eax: 0, edx: S, flags: 0 } },
  { name: 'bits 16..31 of EAX kept', in: { eax: 0xabcd0064, ebx: 7 }, out: { eax: 0xabcd020e, edx: S, flags: 0 } },
  { name: 'FEFEh / FFh = 255 r 253', in: { eax: 0xfefe, ebx: 0xff }, out: { eax: 0xfdff, edx: S, flags: 0 } },
]);

table('DIV r/m16 (66 F7 /6): AX = DX:AX / r/m16, DX = remainder', [0x66, 0xf7, 0xf3], [
  { name: '10000h / 100h', in: { eax: 0, ebx: 0x100, edx: 1 }, out: { eax: 0x100, edx: 0, flags: 0 } },
  { name: '30007h / 10h, upper halves kept', in: { eax: 0x12340007, ebx: 0x10, edx: 0x56780003 }, out: { eax: 0x12343000, edx: 0x56780007, flags: 0 } },
  { name: 'FFFEFFFFh / FFFFh = FFFFh r FFFEh', in: { eax: 0xffff, ebx: 0xffff, edx: 0xfffe }, out: { eax: 0xffff, edx: 0xfffe, flags: 0 } },
]);

table('DIV r/m32 (F7 /6): EAX = EDX:EAX / r/m32, EDX = remainder', [0xf7, 0xf3], [
  { name: '100 / 7', in: { eax: 100, ebx: 7, edx: 0 }, out: { eax: 14, edx: 2, flags: 0 } },
  { name: 'FFFFFFFFh / 1', in: { eax: 0xffffffff, ebx: 1, edx: 0 }, out: { eax: 0xffffffff, edx: 0, flags: 0 } },
  { name: 'FFFFFFFFh / FFFFFFFFh', in: { eax: 0xffffffff, ebx: 0xffffffff, edx: 0 }, out: { eax: 1, edx: 0, flags: 0 } },
  { name: '2^32 / 2', in: { eax: 0, ebx: 2, edx: 1 }, out: { eax: 0x80000000, edx: 0, flags: 0 } },
  { name: 'largest quotient and remainder', in: { eax: 0xffffffff, ebx: 0xffffffff, edx: 0xfffffffe }, out: { eax: 0xffffffff, edx: 0xfffffffe, flags: 0 } },
  { name: '(2^63-1) / 2^31: a double would round the dividend to 2^63', in: { eax: 0xffffffff, ebx: 0x80000000, edx: 0x7fffffff }, out: { eax: 0xffffffff, edx: 0x7fffffff, flags: 0 } },
  { name: '123456789ABCDEF0h / 87654321h', in: { eax: 0x9abcdef0, ebx: 0x87654321, edx: 0x12345678 }, out: { eax: 0x226b9022, edx: 0x38bc648e, flags: 0 } },
]);

// ---- IDIV ----------------------------------------------------------------------------------

table('IDIV r/m8 (F6 /7): truncates toward 0, remainder has the sign of the dividend', [0xf6, 0xfb], [
  { name: '-100 / 7 = -14 r -2', in: { eax: 0xff9c, ebx: 7 }, out: { eax: 0xfef2, edx: S, flags: 0 } },
  { name: '100 / -7 = -14 r 2', in: { eax: 100, ebx: 0xf9 }, out: { eax: 0x02f2, edx: S, flags: 0 } },
  { name: '-5 / 2 = -2 r -1', in: { eax: 0xfffb, ebx: 2 }, out: { eax: 0xfffe, edx: S, flags: 0 } },
  { name: '-128 / 1 = -128, the most negative quotient', in: { eax: 0xff80, ebx: 1 }, out: { eax: 0x0080, edx: S, flags: 0 } },
  { name: '16384 / -128 = -128', in: { eax: 0x4000, ebx: 0x80 }, out: { eax: 0x0080, edx: S, flags: 0 } },
  { name: '16257 / -128 = -127 r 1', in: { eax: 0x3f81, ebx: 0x80 }, out: { eax: 0x0181, edx: S, flags: 0 } },
]);

table('IDIV r/m16 (66 F7 /7)', [0x66, 0xf7, 0xfb], [
  { name: '-7 / 2 = -3 r -1', in: { eax: 0xfff9, ebx: 2, edx: 0xffff }, out: { eax: 0xfffd, edx: 0xffff, flags: 0 } },
  { name: '-(2^30 - 2^15) / -32768 = 32767, the largest quotient', in: { eax: 0x8000, ebx: 0x8000, edx: 0xc000 }, out: { eax: 0x7fff, edx: 0, flags: 0 } },
  { name: '1000000 / -1000', in: { eax: 0x4240, ebx: 0xfc18, edx: 0x000f }, out: { eax: 0xfc18, edx: 0, flags: 0 } },
]);

table('IDIV r/m32 (F7 /7)', [0xf7, 0xfb], [
  { name: '-7 / 2 = -3 r -1', in: { eax: 0xfffffff9, ebx: 2, edx: 0xffffffff }, out: { eax: 0xfffffffd, edx: 0xffffffff, flags: 0 } },
  { name: '7 / -2 = -3 r 1', in: { eax: 7, ebx: 0xfffffffe, edx: 0 }, out: { eax: 0xfffffffd, edx: 1, flags: 0 } },
  { name: '-2^31 / 1', in: { eax: 0x80000000, ebx: 1, edx: 0xffffffff }, out: { eax: 0x80000000, edx: 0, flags: 0 } },
  { name: '2^31 (EDX = 0, not a sign extension) / 2', in: { eax: 0x80000000, ebx: 2, edx: 0 }, out: { eax: 0x40000000, edx: 0, flags: 0 } },
  { name: '2^62 / -2^31 = -2^31, the most negative quotient', in: { eax: 0, ebx: 0x80000000, edx: 0x40000000 }, out: { eax: 0x80000000, edx: 0, flags: 0 } },
  { name: '(2^62 + 1) / -2^31 = -2^31 r 1', in: { eax: 1, ebx: 0x80000000, edx: 0x40000000 }, out: { eax: 0x80000000, edx: 1, flags: 0 } },
  { name: '-(2^62 - 2^31) / -2^31 = 2^31 - 1', in: { eax: 0x80000000, ebx: 0x80000000, edx: 0xc0000000 }, out: { eax: 0x7fffffff, edx: 0, flags: 0 } },
  { name: '-2^32 / 16 (negating carries into the high half)', in: { eax: 0, ebx: 16, edx: 0xffffffff }, out: { eax: 0xf0000000, edx: 0, flags: 0 } },
  { name: 'positive / negative beyond 2^53', in: { eax: 0x9abcdef0, ebx: 0x87654321, edx: 0x12345678 }, out: { eax: 0xd95bc60a, edx: 0x2921b9a6, flags: 0 } },
  { name: 'negative / positive beyond 2^53', in: { eax: 0x65432110, ebx: 0x789abcdf, edx: 0xedcba987 }, out: { eax: 0xd95bc60a, edx: 0xd6de465a, flags: 0 } },
]);

// ---- #DE -------------------------------------------------------------------------------------

describe('#DE: divide by zero and quotient overflow fault with nothing changed', () => {
  const DIV8 = [0xf6, 0xf3], DIV16 = [0x66, 0xf7, 0xf3], DIV32 = [0xf7, 0xf3];
  const IDIV8 = [0xf6, 0xfb], IDIV16 = [0x66, 0xf7, 0xfb], IDIV32 = [0xf7, 0xfb];
  const cases: { name: string; code: number[]; in: Input }[] = [
    { name: 'DIV r/m8 by 0', code: DIV8, in: { eax: 0x1234, ebx: 0 } },
    { name: 'DIV r/m8: 512 / 2 = 256', code: DIV8, in: { eax: 0x200, ebx: 2 } },
    { name: 'DIV r/m8: FFFFh / FFh = 257', code: DIV8, in: { eax: 0xffff, ebx: 0xff } },
    { name: 'DIV r/m16 by 0', code: DIV16, in: { eax: 0x1234, ebx: 0xffff0000, edx: 0 } },
    { name: 'DIV r/m16: FFFFFFFFh / FFFFh', code: DIV16, in: { eax: 0xffff, ebx: 0xffff, edx: 0xffff } },
    { name: 'DIV r/m16: DX = divisor', code: DIV16, in: { eax: 0, ebx: 0x10, edx: 0x10 } },
    { name: 'DIV r/m32 by 0', code: DIV32, in: { eax: 5, ebx: 0, edx: 0 } },
    { name: 'DIV r/m32: 2^32 / 1', code: DIV32, in: { eax: 0, ebx: 1, edx: 1 } },
    { name: 'DIV r/m32: EDX = divisor', code: DIV32, in: { eax: 0, ebx: 0x87654321, edx: 0x87654321 } },
    { name: 'IDIV r/m8 by 0', code: IDIV8, in: { eax: 0x1234, ebx: 0 } },
    { name: 'IDIV r/m8: -128 / -1', code: IDIV8, in: { eax: 0xff80, ebx: 0xff } },
    { name: 'IDIV r/m8: -32768 / -1', code: IDIV8, in: { eax: 0x8000, ebx: 0xff } },
    { name: 'IDIV r/m8: 128 / 1', code: IDIV8, in: { eax: 0x0080, ebx: 1 } },
    { name: 'IDIV r/m8: 16512 / -128 = -129', code: IDIV8, in: { eax: 0x4080, ebx: 0x80 } },
    { name: 'IDIV r/m16 by 0', code: IDIV16, in: { eax: 1, ebx: 0, edx: 0 } },
    { name: 'IDIV r/m16: -32768 / -1', code: IDIV16, in: { eax: 0x8000, ebx: 0xffff, edx: 0xffff } },
    { name: 'IDIV r/m16: -2^30 / -32768 = 32768', code: IDIV16, in: { eax: 0, ebx: 0x8000, edx: 0xc000 } },
    { name: 'IDIV r/m16: -2^31 / -32768 = 65536', code: IDIV16, in: { eax: 0, ebx: 0x8000, edx: 0x8000 } },
    { name: 'IDIV r/m32 by 0', code: IDIV32, in: { eax: 1, ebx: 0, edx: 0 } },
    { name: 'IDIV r/m32: -2^31 / -1', code: IDIV32, in: { eax: 0x80000000, ebx: 0xffffffff, edx: 0xffffffff } },
    { name: 'IDIV r/m32: 2^31 / 1', code: IDIV32, in: { eax: 0x80000000, ebx: 1, edx: 0 } },
    { name: 'IDIV r/m32: -2^63 / -1', code: IDIV32, in: { eax: 0, ebx: 0xffffffff, edx: 0x80000000 } },
    { name: 'IDIV r/m32: -2^63 / -2^31 = 2^32', code: IDIV32, in: { eax: 0, ebx: 0x80000000, edx: 0x80000000 } },
    { name: 'IDIV r/m32: -2^62 / -2^31 = 2^31', code: IDIV32, in: { eax: 0, ebx: 0x80000000, edx: 0xc0000000 } },
    { name: 'IDIV r/m32: (2^62 + 2^31) / -2^31 = -(2^31 + 1)', code: IDIV32, in: { eax: 0x80000000, ebx: 0x80000000, edx: 0x40000000 } },
  ];

  it.each(cases)('$name', ({ code, in: input }) => {
    const flags = CF | ZF | OF;
    const cpu = exec(code, { ...input, flags });
    expect(cpu.caught?.vector).toBe(Vector.DE);
    expect(cpu.eip).toBe(CODE);
    expect(result(cpu)).toEqual({ eax: input.eax >>> 0, edx: (input.edx ?? S) >>> 0, flags });
    expect(cpu.r32[3] >>> 0).toBe(input.ebx >>> 0);
  });

  it('DIV of a memory operand that is 0', () => {
    // div dword [3000h]
    const cpu = exec([0xf7, 0x35, 0x00, 0x30, 0x00, 0x00], { eax: 9, ebx: 0, edx: 0 });
    expect(cpu.caught?.vector).toBe(Vector.DE);
    expect(result(cpu)).toEqual({ eax: 9, edx: 0, flags: 0 });
  });
});

describe('DIV and IDIV with memory operands', () => {
  it('div dword [3000h]', () => {
    const cpu = exec([0xf7, 0x35, 0x00, 0x30, 0x00, 0x00], { eax: 100, ebx: 0, edx: 0 }, (c) => { c.ram32[0x3000 >>> 2] = 10; });
    expect(result(cpu)).toEqual({ eax: 10, edx: 0, flags: 0 });
  });

  it('idiv dword [3000h]: 100 / -3 = -33 r 1', () => {
    const cpu = exec([0xf7, 0x3d, 0x00, 0x30, 0x00, 0x00], { eax: 100, ebx: 0, edx: 0 }, (c) => { c.ram32[0x3000 >>> 2] = -3; });
    expect(result(cpu)).toEqual({ eax: 0xffffffdf, edx: 1, flags: 0 });
  });
});

describe('flags after DIV and IDIV are left as they were (QEMU)', () => {
  const ALL = CF | PF | AF | ZF | SF | OF;
  it.each([
    ['DIV r/m8', [0xf6, 0xf3]],
    ['DIV r/m32', [0xf7, 0xf3]],
    ['IDIV r/m16', [0x66, 0xf7, 0xfb]],
    ['IDIV r/m32', [0xf7, 0xfb]],
  ])('%s keeps all six status flags set', (_, code) => {
    const cpu = exec(code as number[], { eax: 100, ebx: 7, edx: 0, flags: ALL });
    expect(cpu.caught).toBeUndefined();
    expect(statusFlags(cpu)).toBe(ALL);
  });

  it('DIV keeps the flags of a preceding CMP', () => {
    // cmp eax, ebx (1 - 2 borrows), then div ecx
    const setup = (c: CPU) => { c.r32[1] = 1; };
    const cmpOnly = exec([0x39, 0xd8], { eax: 1, ebx: 2, edx: 0 }, setup);
    const cmpDiv = exec([0x39, 0xd8, 0xf7, 0xf1], { eax: 1, ebx: 2, edx: 0 }, setup);
    expect(statusFlags(cmpOnly)).toBe(CF | SF | AF | PF);
    expect(statusFlags(cmpDiv)).toBe(CF | SF | AF | PF);
  });

  it('MUL replaces the flags even when nothing overflows: AF = 0', () => {
    const cpu = exec([0xf7, 0xe3], { eax: 3, ebx: 5, edx: 0, flags: ALL });
    // 15 = 0Fh: four ones, PF set
    expect(result(cpu)).toEqual({ eax: 15, edx: 0, flags: PF });
  });
});

describe('DIV and IDIV of EDX:EAX compiled, against the interpreter', () => {
  // div ebx or idiv ebx, then HLT, which ends the block: a block of the one divide.
  const HLT = 0xf4;
  const cases: [string, number[], number, number, number][] = [
    ['DIV: EDX = 0', [0xf7, 0xf3], 100, 0, 7],
    ['DIV: FFFFFFFFh / FFFFFFFFh', [0xf7, 0xf3], 0xffffffff, 0, 0xffffffff],
    ['DIV: EDX = 1 (the wide path)', [0xf7, 0xf3], 0, 1, 2],
    ['DIV: 1234_12345678h / 87654321h', [0xf7, 0xf3], 0x12345678, 0x1234, 0x87654321],
    ['DIV by 0', [0xf7, 0xf3], 5, 0, 0],
    ['DIV: 2^32 / 1', [0xf7, 0xf3], 0, 1, 1],
    ['IDIV: -100 / 7', [0xf7, 0xfb], -100, -1, 7],
    ['IDIV: 100 / -7', [0xf7, 0xfb], 100, 0, -7],
    ['IDIV: -7 / 2', [0xf7, 0xfb], -7, -1, 2],
    ['IDIV: -2^31 / 1', [0xf7, 0xfb], 0x80000000, -1, 1],
    ['IDIV: -2^31 / -1', [0xf7, 0xfb], 0x80000000, -1, -1],
    ['IDIV: -2^63 / -1', [0xf7, 0xfb], 0, 0x80000000, -1],
    ['IDIV: (2^62 + 2^31) / -2^31 (the wide path)', [0xf7, 0xfb], 0x80000000, 0x40000000, 0x80000000],
    ['IDIV by 0', [0xf7, 0xfb], 1, 0, 0],
  ];

  function outcome(code: number[], eax: number, edx: number, ebx: number, compiled: boolean) {
    const cpu = makeCpu();
    cpu.ram.set([...code, HLT], CODE);
    cpu.eip = CODE;
    cpu.r32[0] = eax;
    cpu.r32[2] = edx;
    cpu.r32[3] = ebx;
    if (compiled) cpu.blocks = new BlockCache(cpu, 1);
    let fault: number | undefined;
    try {
      runInstructions(cpu, 1);
    } catch (e) {
      if (!(e instanceof CpuException)) throw e;
      fault = e.vector;
    }
    const seen = { eax: cpu.r32[0] >>> 0, edx: cpu.r32[2] >>> 0, eip: cpu.eip, retired: cpu.retired, fault, compiled: cpu.blocks?.compiled ?? 0 };
    cpu.blocks?.release();
    cpu.tlb.release();
    return seen;
  }

  it.each(cases)('%s', (_name, code, eax, edx, ebx) => {
    const compiled = outcome(code, eax, edx, ebx, true);
    const interpreted = outcome(code, eax, edx, ebx, false);
    expect(compiled.compiled).toBe(1);
    expect({ ...compiled, compiled: 0 }).toEqual({ ...interpreted, compiled: 0 });
  });
});
