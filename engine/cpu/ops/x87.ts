// The floating-point and SIMD opcode space, which the lab PC leaves empty.
//
// The lab PC's CPU has no x87 FPU, MMX or SSE (CPUID leaf 1 reports none of
// them), so student kernels must be built with -mgeneral-regs-only. These
// handlers exist to say so: every such opcode raises #UD with a diagnostic
// that names the instruction, instead of the generic "undefined opcode".
//
// Also here: the hint-NOP block 0F 18-1F (PREFETCHh, multi-byte NOP,
// ENDBR32), which compilers emit freely and which execute as NOPs.

import type { CPU } from '../cpu.ts';
import { Vector } from '../exceptions.ts';
import { hexByte } from '../../hex.ts';
import { OpcodeFamily } from '../opcode-family.ts';

export const x87Opcodes = new OpcodeFamily('ops/x87.ts');
const { def, def0F } = x87Opcodes;

const CR0_MP = 1 << 1;
const CR0_EM = 1 << 2;
const CR0_TS = 1 << 3;

const ADVICE = '; the lab PC has no FPU/SIMD: compile with -mgeneral-regs-only';

// ---- x87 escape opcodes D8-DF ---------------------------------------------------------

/** Mnemonics of the memory forms, by opcode D8..DF and then the ModRM reg field. */
const X87_MEMORY: readonly string[][] = [
  'FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR',
  'FLD - FST FSTP FLDENV FLDCW FNSTENV FNSTCW',
  'FIADD FIMUL FICOM FICOMP FISUB FISUBR FIDIV FIDIVR',
  'FILD FISTTP FIST FISTP - FLD - FSTP',
  'FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR',
  'FLD FISTTP FST FSTP FRSTOR - FNSAVE FNSTSW',
  'FIADD FIMUL FICOM FICOMP FISUB FISUBR FIDIV FIDIVR',
  'FILD FISTTP FIST FISTP FBLD FILD FBSTP FISTP',
].map((row) => row.split(' '));

/** Mnemonics of the register forms (ModRM C0-FF), by opcode and reg field. */
const X87_REGISTER: readonly string[][] = [
  'FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR',
  'FLD FXCH - - - - - -',
  'FCMOVB FCMOVE FCMOVBE FCMOVU - - - -',
  'FCMOVNB FCMOVNE FCMOVNBE FCMOVNU - FUCOMI FCOMI -',
  'FADD FMUL FCOM FCOMP FSUBR FSUB FDIVR FDIV',
  'FFREE - FST FSTP FUCOM FUCOMP - -',
  'FADDP FMULP - - FSUBRP FSUBP FDIVRP FDIVP',
  '- - - - - FUCOMIP FCOMIP -',
].map((row) => row.split(' '));

/** Register forms whose second byte is the whole instruction: (opcode << 8) | second byte. */
const X87_SINGLE = new Map<number, string>([
  [0xd9d0, 'FNOP'], [0xd9e0, 'FCHS'], [0xd9e1, 'FABS'], [0xd9e4, 'FTST'], [0xd9e5, 'FXAM'],
  [0xd9e8, 'FLD1'], [0xd9e9, 'FLDL2T'], [0xd9ea, 'FLDL2E'], [0xd9eb, 'FLDPI'],
  [0xd9ec, 'FLDLG2'], [0xd9ed, 'FLDLN2'], [0xd9ee, 'FLDZ'],
  [0xd9f0, 'F2XM1'], [0xd9f1, 'FYL2X'], [0xd9f2, 'FPTAN'], [0xd9f3, 'FPATAN'],
  [0xd9f4, 'FXTRACT'], [0xd9f5, 'FPREM1'], [0xd9f6, 'FDECSTP'], [0xd9f7, 'FINCSTP'],
  [0xd9f8, 'FPREM'], [0xd9f9, 'FYL2XP1'], [0xd9fa, 'FSQRT'], [0xd9fb, 'FSINCOS'],
  [0xd9fc, 'FRNDINT'], [0xd9fd, 'FSCALE'], [0xd9fe, 'FSIN'], [0xd9ff, 'FCOS'],
  [0xdae9, 'FUCOMPP'], [0xdbe2, 'FNCLEX'], [0xdbe3, 'FNINIT'], [0xded9, 'FCOMPP'],
  [0xdfe0, 'FNSTSW AX'],
]);

/** "x87 instruction (opcode D9 /0, FLD)" or "x87 instruction (opcode D9 E8, FLD1)". */
export function describeX87(opcode: number, modrm: number): string {
  const reg = (modrm >>> 3) & 7;
  let form: string;
  let name: string | undefined;
  if (modrm >= 0xc0) {
    form = `${hexByte(opcode)} ${hexByte(modrm)}`;
    name = X87_SINGLE.get((opcode << 8) | modrm) ?? X87_REGISTER[opcode - 0xd8]![reg];
  } else {
    form = `${hexByte(opcode)} /${reg}`;
    name = X87_MEMORY[opcode - 0xd8]![reg];
  }
  return name && name !== '-' ? `x87 instruction (opcode ${form}, ${name})` : `x87 instruction (opcode ${form})`;
}

/**
 * SDM Vol. 3, 2.5 (CR0.EM) and Table 2-2: with EM set an x87 instruction
 * raises #NM, which is how an OS without an FPU would emulate one. With EM
 * clear there is no FPU to execute it, so it is an invalid opcode. (CR0.TS
 * alone does not raise #NM here: it asks for lazy FPU context switching, and
 * there is no FPU context to switch.)
 */
function x87Escape(cpu: CPU, opcode: number): void {
  const what = describeX87(opcode, cpu.fetch8());
  if ((cpu.cr0 & CR0_EM) !== 0) cpu.fault(Vector.NM, -1, `${what} with CR0.EM set${ADVICE}`);
  cpu.undefinedOpcode(`${what}${ADVICE}`);
}

for (let opcode = 0xd8; opcode <= 0xdf; opcode++) def(opcode, (cpu) => x87Escape(cpu, opcode));

// SDM "WAIT/FWAIT": #NM when CR0.MP and CR0.TS are both set; otherwise it
// waits for pending x87 exceptions, and with no FPU there are none, so it is a
// NOP. CR0.EM does not affect it. (FINIT and friends are 9B followed by an
// escape opcode, which then raises #UD.)
def(0x9b, (cpu) => {
  if ((cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) {
    cpu.fault(Vector.NM, -1, 'FWAIT with CR0.MP and CR0.TS set');
  }
});

// ---- MMX, SSE, SSE2, SSE3 in the 0F map ---------------------------------------------------

/**
 * Mnemonics by opcode: either one name (the same for no prefix and 66), or
 * four separated by "/" for no prefix, 66, F3 and F2; an empty slot has none.
 */
const SIMD_NAMES = new Map<number, string>([
  [0x10, 'MOVUPS/MOVUPD/MOVSS/MOVSD'], [0x11, 'MOVUPS/MOVUPD/MOVSS/MOVSD'],
  [0x12, 'MOVLPS/MOVLPD/MOVSLDUP/MOVDDUP'], [0x13, 'MOVLPS/MOVLPD//'],
  [0x14, 'UNPCKLPS/UNPCKLPD//'], [0x15, 'UNPCKHPS/UNPCKHPD//'],
  [0x16, 'MOVHPS/MOVHPD/MOVSHDUP/'], [0x17, 'MOVHPS/MOVHPD//'],
  [0x28, 'MOVAPS/MOVAPD//'], [0x29, 'MOVAPS/MOVAPD//'],
  [0x2a, 'CVTPI2PS/CVTPI2PD/CVTSI2SS/CVTSI2SD'], [0x2b, 'MOVNTPS/MOVNTPD//'],
  [0x2c, 'CVTTPS2PI/CVTTPD2PI/CVTTSS2SI/CVTTSD2SI'], [0x2d, 'CVTPS2PI/CVTPD2PI/CVTSS2SI/CVTSD2SI'],
  [0x2e, 'UCOMISS/UCOMISD//'], [0x2f, 'COMISS/COMISD//'],
  [0x50, 'MOVMSKPS/MOVMSKPD//'], [0x51, 'SQRTPS/SQRTPD/SQRTSS/SQRTSD'],
  [0x52, 'RSQRTPS//RSQRTSS/'], [0x53, 'RCPPS//RCPSS/'],
  [0x54, 'ANDPS/ANDPD//'], [0x55, 'ANDNPS/ANDNPD//'], [0x56, 'ORPS/ORPD//'], [0x57, 'XORPS/XORPD//'],
  [0x58, 'ADDPS/ADDPD/ADDSS/ADDSD'], [0x59, 'MULPS/MULPD/MULSS/MULSD'],
  [0x5a, 'CVTPS2PD/CVTPD2PS/CVTSS2SD/CVTSD2SS'], [0x5b, 'CVTDQ2PS/CVTPS2DQ/CVTTPS2DQ/'],
  [0x5c, 'SUBPS/SUBPD/SUBSS/SUBSD'], [0x5d, 'MINPS/MINPD/MINSS/MINSD'],
  [0x5e, 'DIVPS/DIVPD/DIVSS/DIVSD'], [0x5f, 'MAXPS/MAXPD/MAXSS/MAXSD'],
  [0x60, 'PUNPCKLBW'], [0x61, 'PUNPCKLWD'], [0x62, 'PUNPCKLDQ'], [0x63, 'PACKSSWB'],
  [0x64, 'PCMPGTB'], [0x65, 'PCMPGTW'], [0x66, 'PCMPGTD'], [0x67, 'PACKUSWB'],
  [0x68, 'PUNPCKHBW'], [0x69, 'PUNPCKHWD'], [0x6a, 'PUNPCKHDQ'], [0x6b, 'PACKSSDW'],
  [0x6c, '/PUNPCKLQDQ//'], [0x6d, '/PUNPCKHQDQ//'], [0x6e, 'MOVD'], [0x6f, 'MOVQ/MOVDQA/MOVDQU/'],
  [0x70, 'PSHUFW/PSHUFD/PSHUFHW/PSHUFLW'], [0x71, 'PSRLW/PSRAW/PSLLW'], [0x72, 'PSRLD/PSRAD/PSLLD'],
  [0x73, 'PSRLQ/PSLLQ'], [0x74, 'PCMPEQB'], [0x75, 'PCMPEQW'], [0x76, 'PCMPEQD'], [0x77, 'EMMS//'],
  [0x7c, '/HADDPD//HADDPS'], [0x7d, '/HSUBPD//HSUBPS'], [0x7e, 'MOVD/MOVD/MOVQ/'], [0x7f, 'MOVQ/MOVDQA/MOVDQU/'],
  [0xc2, 'CMPPS/CMPPD/CMPSS/CMPSD'], [0xc3, 'MOVNTI///'], [0xc4, 'PINSRW'], [0xc5, 'PEXTRW'],
  [0xc6, 'SHUFPS/SHUFPD//'], [0xd0, '/ADDSUBPD//ADDSUBPS'],
  [0xd1, 'PSRLW'], [0xd2, 'PSRLD'], [0xd3, 'PSRLQ'], [0xd4, 'PADDQ'], [0xd5, 'PMULLW'],
  [0xd6, '/MOVQ/MOVQ2DQ/MOVDQ2Q'], [0xd7, 'PMOVMSKB'],
  [0xd8, 'PSUBUSB'], [0xd9, 'PSUBUSW'], [0xda, 'PMINUB'], [0xdb, 'PAND'],
  [0xdc, 'PADDUSB'], [0xdd, 'PADDUSW'], [0xde, 'PMAXUB'], [0xdf, 'PANDN'],
  [0xe0, 'PAVGB'], [0xe1, 'PSRAW'], [0xe2, 'PSRAD'], [0xe3, 'PAVGW'],
  [0xe4, 'PMULHUW'], [0xe5, 'PMULHW'], [0xe6, '/CVTTPD2DQ/CVTDQ2PD/CVTPD2DQ'], [0xe7, 'MOVNTQ/MOVNTDQ//'],
  [0xe8, 'PSUBSB'], [0xe9, 'PSUBSW'], [0xea, 'PMINSW'], [0xeb, 'POR'],
  [0xec, 'PADDSB'], [0xed, 'PADDSW'], [0xee, 'PMAXSW'], [0xef, 'PXOR'],
  [0xf0, '///LDDQU'], [0xf1, 'PSLLW'], [0xf2, 'PSLLD'], [0xf3, 'PSLLQ'],
  [0xf4, 'PMULUDQ'], [0xf5, 'PMADDWD'], [0xf6, 'PSADBW'], [0xf7, 'MASKMOVQ/MASKMOVDQU//'],
  [0xf8, 'PSUBB'], [0xf9, 'PSUBW'], [0xfa, 'PSUBD'], [0xfb, 'PSUBQ'],
  [0xfc, 'PADDB'], [0xfd, 'PADDW'], [0xfe, 'PADDD'],
]);

/** The mandatory-prefix column an SSE opcode is in: 0 none, 1 66, 2 F3, 3 F2 (F2/F3 outrank 66). */
function simdColumn(cpu: CPU): number {
  return cpu.rep === 1 ? 2 : cpu.rep === 2 ? 3 : cpu.o16 ? 1 : 0;
}

const COLUMN_PREFIX = ['', '66 ', 'F3 ', 'F2 '];

function simdMnemonic(opcode: number, column: number): string {
  const names = SIMD_NAMES.get(opcode);
  if (names === undefined) return '';
  if (!names.includes('/')) return column <= 1 ? names : '';
  return names.split('/')[column] ?? '';
}

/** Which extension introduced the form, as CPUID and compiler flags name it. */
function simdFamily(opcode: number, column: number): string {
  const sse3 = opcode === 0x7c || opcode === 0x7d || opcode === 0xd0 || opcode === 0xf0
    || (opcode === 0x12 && column >= 2) || (opcode === 0x16 && column === 2);
  if (sse3) return 'SSE3';
  const integer = (opcode >= 0x60 && opcode <= 0x7f) || opcode >= 0xd0 || opcode === 0xc4 || opcode === 0xc5;
  if (column === 0) return integer ? 'MMX' : opcode === 0x5a || opcode === 0x5b || opcode === 0xc3 ? 'SSE2' : 'SSE';
  if (column === 2 && !integer && opcode !== 0x5a && opcode !== 0x5b) return 'SSE';
  return 'SSE2';
}

/** "SSE instruction MOVAPS (0F 28)", "SSE2 instruction MOVDQA (66 0F 6F)". */
export function describeSimd(opcode: number, column: number): string {
  const name = simdMnemonic(opcode, column);
  const encoding = `${COLUMN_PREFIX[column]}0F ${hexByte(opcode)}`;
  return `${simdFamily(opcode, column)} instruction ${name ? `${name} ` : ''}(${encoding})`;
}

// Unlike x87, MMX and SSE instructions never raise #NM for CR0.EM: with EM
// set the SDM lists #UD for them as well, so one handler covers every case.
function simd(opcode: number) {
  return (cpu: CPU): void => {
    cpu.undefinedOpcode(`${describeSimd(opcode, simdColumn(cpu))}${ADVICE}`);
  };
}

const SIMD_OPCODES: number[] = [];
for (let op = 0x10; op <= 0x17; op++) SIMD_OPCODES.push(op);
for (let op = 0x28; op <= 0x2f; op++) SIMD_OPCODES.push(op);
// 0F 78-7B are VMREAD/VMWRITE and reserved slots, not SIMD: they keep the generic #UD.
for (let op = 0x50; op <= 0x77; op++) SIMD_OPCODES.push(op);
for (let op = 0x7c; op <= 0x7f; op++) SIMD_OPCODES.push(op);
for (let op = 0xc2; op <= 0xc6; op++) SIMD_OPCODES.push(op);
for (let op = 0xd0; op <= 0xfe; op++) SIMD_OPCODES.push(op);
for (const op of SIMD_OPCODES) def0F(op, simd(op));

// 0F FF is UD0, an opcode reserved to be invalid forever.
def0F(0xff, (cpu) => cpu.undefinedOpcode('UD0 (0F FF), the reserved invalid opcode'));

// ---- 0F AE: FXSAVE/FXRSTOR, MXCSR, XSAVE, fences, CLFLUSH -----------------------------------

const GROUP15_MEMORY = [
  'FXSAVE', 'FXRSTOR', 'SSE instruction LDMXCSR', 'SSE instruction STMXCSR',
  'XSAVE', 'XRSTOR', 'XSAVEOPT', 'SSE2 instruction CLFLUSH',
];
const GROUP15_REGISTER = ['', '', '', '', '', 'SSE2 instruction LFENCE', 'SSE2 instruction MFENCE', 'SSE instruction SFENCE'];

def0F(0xae, (cpu) => {
  const m = cpu.fetch8();
  const reg = (m >>> 3) & 7;
  const name = cpu.rep === 0 ? (m >= 0xc0 ? GROUP15_REGISTER : GROUP15_MEMORY)[reg] : '';
  const encoding = `${COLUMN_PREFIX[simdColumn(cpu)]}0F AE ${m >= 0xc0 ? hexByte(m) : `/${reg}`}`;
  if (!name) cpu.undefinedOpcode(`undefined opcode ${encoding}`);
  // Fences have a general-register replacement: gcc uses "lock orl $0,(%esp)" for i686.
  const fence = m >= 0xc0 ? '; use a locked instruction (lock orl $0,(%esp)) as the barrier' : '';
  cpu.undefinedOpcode(`${name} (${encoding})${fence}${ADVICE}`);
});

// ---- 0F 38 and 0F 3A: the three-byte maps (SSSE3, SSE4, MOVBE, CRC32) ------------------------

def0F(0x38, (cpu) => {
  const b = cpu.fetch8();
  const column = simdColumn(cpu);
  const encoding = `${COLUMN_PREFIX[column]}0F 38 ${hexByte(b)}`;
  if (b === 0xf0 || b === 0xf1) {
    const what = column === 3 ? 'SSE4.2 instruction CRC32' : 'MOVBE';
    cpu.undefinedOpcode(`${what} (${encoding}) is not on the lab PC's i686 CPU: do not build with -march=native${ADVICE}`);
  }
  cpu.undefinedOpcode(`SSSE3/SSE4 instruction (${encoding})${ADVICE}`);
});

def0F(0x3a, (cpu) => {
  const b = cpu.fetch8();
  cpu.undefinedOpcode(`SSSE3/SSE4 instruction (${COLUMN_PREFIX[simdColumn(cpu)]}0F 3A ${hexByte(b)})${ADVICE}`);
});

// ---- 0F 18-1F: hint NOPs ---------------------------------------------------------------------

/**
 * Decode the ModRM operand (SIB, displacement) without touching memory: a
 * prefetch to an unmapped address must not fault, and neither may a NOP.
 */
function skipModrm(cpu: CPU, m: number): void {
  if (m < 0xc0) cpu.eaOffset(m);
}

// 0F 18 /0-3: PREFETCHNTA/T0/T1/T2 m8; with a register operand QEMU raises
// #UD, and /4-7 are reserved hint NOPs.
def0F(0x18, (cpu) => {
  const m = cpu.fetch8();
  const reg = (m >>> 3) & 7;
  if (m >= 0xc0 && reg < 4) cpu.undefinedOpcode(`PREFETCH hint with a register operand (0F 18 ${hexByte(m)})`);
  skipModrm(cpu, m);
});

// 0F 19-1F: the reserved-NOP block. 0F 1F /0 is the multi-byte NOP that
// assemblers pad with; F3 0F 1E FB is ENDBR32 (gcc -fcf-protection); 0F 1A/1B
// are MPX instructions, which are NOPs on a CPU without MPX.
for (let op = 0x19; op <= 0x1f; op++) {
  def0F(op, (cpu) => skipModrm(cpu, cpu.fetch8()));
}
