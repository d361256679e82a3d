// Decimal arithmetic (SDM Vol. 1, 7.3.5): DAA DAS AAA AAS AAM AAD, and the
// small accumulator and flag transfers beside them in the one-byte map:
// CBW/CWDE, CWD/CDQ, SAHF, LAHF and the undocumented SALC.
//
// Flags the SDM leaves undefined follow QEMU (target/i386 int_helper.c), so
// runs compare equal with it:
//   DAA, DAS  OF = 0
//   AAA, AAS  OF, SF, ZF, PF keep their values
//   AAM, AAD  CF = OF = AF = 0

import type { CPU } from '../cpu.ts';
import { Reg, Reg16 } from '../cpu.ts';
import { Vector } from '../exceptions.ts';
import { AF, CF, FIXED_ONE, PF, SF, ZF } from '../flags.ts';
import { OpcodeFamily } from '../opcode-family.ts';

export const bcdOpcodes = new OpcodeFamily('ops/bcd.ts');
const { def, def2, emit } = bcdOpcodes;

/** The EFLAGS bits that SAHF and LAHF move: bits 0..7 apart from the fixed ones. */
const AH_FLAGS = SF | ZF | AF | PF | CF;

// ---- packed BCD: two decimal digits in AL ---------------------------------------

// 27: DAA, after adding two packed BCD bytes.
def(0x27, (cpu) => {
  const oldAL = cpu.r8[0];
  const oldCF = cpu.getCF();
  let al = oldAL;
  let flags = 0;
  if ((al & 0x0f) > 9 || cpu.getAF()) {
    al = (al + 6) & 0xff;
    flags |= AF;
  }
  // The SDM first sets CF from the carry out of AL + 6, then the test on the
  // original AL overwrites it either way (and a carry needs AL >= FAh, which
  // that test catches), so only this test decides CF.
  if (oldAL > 0x99 || oldCF) {
    al = (al + 0x60) & 0xff;
    flags |= CF;
  }
  cpu.r8[0] = al;
  cpu.setArithFlags(flags | cpu.szp(al, 1));
});

// 2F: DAS, after subtracting two packed BCD bytes.
def(0x2f, (cpu) => {
  const oldAL = cpu.r8[0];
  const oldCF = cpu.getCF();
  let al = oldAL;
  let flags = 0;
  if ((al & 0x0f) > 9 || cpu.getAF()) {
    // Unlike DAA, the SDM has no "else CF <- 0" for the second test below, so a
    // borrow out of AL - 6 survives: AL = 03h with AF set gives FDh with CF set.
    if (oldCF || al < 6) flags |= CF;
    al = (al - 6) & 0xff;
    flags |= AF;
  }
  if (oldAL > 0x99 || oldCF) {
    al = (al - 0x60) & 0xff;
    flags |= CF;
  }
  cpu.r8[0] = al;
  cpu.setArithFlags(flags | cpu.szp(al, 1));
});

// ---- unpacked BCD: one decimal digit per byte of AX --------------------------------

/** AAA and AAS set AF and CF together and leave the other status flags as they were. */
function setAdjustCarry(cpu: CPU, adjusted: boolean): void {
  cpu.materializeFlags();
  if (adjusted) cpu.flags |= AF | CF;
  else cpu.flags &= ~(AF | CF);
}

// 37: AAA. The SDM (P6 family onward) adds 106h to all of AX, so AL + 6 carries into AH.
def(0x37, (cpu) => {
  let ax = cpu.r16[0];
  const adjust = (ax & 0x0f) > 9 || cpu.getAF();
  if (adjust) ax += 0x106;
  cpu.r16[0] = ax & 0xff0f;
  setAdjustCarry(cpu, adjust);
});

// 3F: AAS. AX - 6 borrows from AH when AL < 6, then AH is decremented as well.
def(0x3f, (cpu) => {
  let ax = cpu.r16[0];
  const adjust = (ax & 0x0f) > 9 || cpu.getAF();
  if (adjust) ax -= 0x106;
  cpu.r16[0] = ax & 0xff0f;
  setAdjustCarry(cpu, adjust);
});

// D4 ib: AAM. The immediate is the base (0Ah in the documented form); base 0 divides by zero.
def(0xd4, (cpu) => {
  const base = cpu.fetch8();
  if (base === 0) cpu.fault(Vector.DE, -1, 'AAM with base 0');
  const al = cpu.r8[0];
  const digit = al % base;
  cpu.r8[1] = (al - digit) / base;
  cpu.r8[0] = digit;
  cpu.setArithFlags(cpu.szp(digit, 1));
});

// D5 ib: AAD, before dividing an unpacked BCD number: AL = AH * base + AL, AH = 0.
def(0xd5, (cpu) => {
  const base = cpu.fetch8();
  const al = (cpu.r8[1] * base + cpu.r8[0]) & 0xff;
  cpu.r16[0] = al;
  cpu.setArithFlags(cpu.szp(al, 1));
});

// ---- sign extension of the accumulator -------------------------------------------

// 98: CWDE (EAX = sign-extended AX) / with 66: CBW (AX = sign-extended AL).
def2(0x98,
  (cpu) => { cpu.r32[Reg.EAX] = (cpu.r32[Reg.EAX] << 16) >> 16; },
  (cpu) => { cpu.r16[0] = (cpu.r8[0] << 24) >> 24; });

// 99: CDQ (EDX = sign of EAX) / with 66: CWD (DX = sign of AX).
def2(0x99,
  (cpu) => { cpu.r32[Reg.EDX] = cpu.r32[Reg.EAX] >> 31; },
  (cpu) => { cpu.r16[Reg16.DX] = (cpu.r16[0] << 16) >> 31; });

// ---- flags to and from AH ---------------------------------------------------------

// 9E: SAHF loads SF ZF AF PF CF from AH; OF and the fixed bits are untouched.
def(0x9e, (cpu) => {
  cpu.materializeFlags();
  cpu.flags = (cpu.flags & ~AH_FLAGS) | (cpu.r8[1] & AH_FLAGS);
});

// 9F: LAHF stores SF:ZF:0:AF:0:PF:1:CF in AH.
def(0x9f, (cpu) => {
  cpu.r8[1] = (cpu.getFlags() & AH_FLAGS) | FIXED_ONE;
});

// D6: SALC (undocumented, "set AL from carry"): AL = CF ? FFh : 0, flags untouched.
// The SDM leaves D6 unassigned in 32-bit mode; IA-32 processors and QEMU execute it this way.
def(0xd6, (cpu) => {
  cpu.r8[0] = cpu.getCF() ? 0xff : 0;
});

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

emit(0x98, (c) => c.straight('r32[0] = (r32[0] << 16) >> 16;')); // CWDE
emit(0x99, (c) => c.straight('r32[2] = r32[0] >> 31;')); // CDQ
