// The cycle model instruction class by instruction class: each sequence runs
// between two RDTSCs, and the difference, less the timing's own cost, must be
// exactly what engine/cpu/cycle-model.ts says the sequence costs.
import { describe, expect, it } from 'vitest';
import { CODE, enablePaging, makeCpu } from './harness.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';
import { deliverInterrupt, InterruptKind } from '../../../engine/cpu/interrupts.ts';
import { CYCLES } from '../../../engine/cpu/cycle-model.ts';
import type { CPU } from '../../../engine/cpu/cpu.ts';

const { instruction: ONE, memoryOperand: MEM, takenBranch: TAKEN } = CYCLES;

/** RDTSC; MOV ESI, EAX: the first reading, kept in ESI. */
const START = [0x0f, 0x31, 0x89, 0xc6];
/** RDTSC; SUB EAX, ESI: EAX = the second reading less the first. */
const END = [0x0f, 0x31, 0x29, 0xf0];
/** What the two readings add themselves: the second RDTSC and the MOV after the first. */
const TIMING = CYCLES.RDTSC + ONE;
const DATA = 0x3000;
const GDT = 0x5000;
const IDT = 0x6000;

const le32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** A GDT with flat ring-0 code (0x08) and data (0x10) and an available 32-bit TSS (0x18), CS loaded with 0x08. */
function withGdt(cpu: CPU): void {
  const descriptors = [[0, 0], [0x0000ffff, 0x00cf9a00], [0x0000ffff, 0x00cf9200], [0x70000067, 0x00008900]];
  descriptors.forEach(([low, high], i) => { cpu.ram32[(GDT >>> 2) + 2 * i] = low!; cpu.ram32[(GDT >>> 2) + 2 * i + 1] = high!; });
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 8 * descriptors.length - 1;
  cpu.segSel[1] = 0x08;
}

/** IDT entry `vector`: a ring-0 interrupt gate to `handler`. */
function gate(cpu: CPU, vector: number, handler: number): void {
  cpu.ram32[(IDT >>> 2) + 2 * vector] = (0x08 << 16) | (handler & 0xffff);
  cpu.ram32[(IDT >>> 2) + 2 * vector + 1] = (handler & 0xffff0000) | 0x8e00;
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x7ff;
}

/** Runs `body` between the two readings on `cpu` (a fresh one by default); returns its cycles. */
function cyclesOf(body: number[], setup: (cpu: CPU) => void = () => {}, cpu = makeCpu()): number {
  const code = [...START, ...body, ...END];
  cpu.ram.set(code, CODE);
  cpu.eip = CODE;
  setup(cpu);
  // Until the last instruction (the SUB) has run: control may leave CODE and come back (SYSENTER).
  for (let i = 0; i < 1000 && cpu.eip !== CODE + code.length; i++) step(cpu);
  expect(cpu.eip).toBe(CODE + code.length);
  return (cpu.r32[0] >>> 0) - TIMING;
}

describe('cycle costs per instruction class', () => {
  it('timing nothing costs nothing: the readings cost RDTSC and one MOV', () => {
    expect(cyclesOf([])).toBe(0);
  });

  it('register ALU, moves, LEA and NOP: one cycle each', () => {
    // ADD ECX, EBX; MOV EDI, ECX; LEA ECX, [EBX+4] (no memory access); NOP
    expect(cyclesOf([0x01, 0xd9, 0x89, 0xcf, 0x8d, 0x4b, 0x04, 0x90])).toBe(4 * ONE);
  });

  it('a memory operand, load, store, read-modify-write or direct offset, adds its latency once', () => {
    const at = le32(DATA);
    expect(cyclesOf([0x8b, 0x0d, ...at])).toBe(ONE + MEM); // MOV ECX, [DATA]
    expect(cyclesOf([0x89, 0x0d, ...at])).toBe(ONE + MEM); // MOV [DATA], ECX
    expect(cyclesOf([0x01, 0x0d, ...at])).toBe(ONE + MEM); // ADD [DATA], ECX
    expect(cyclesOf([0xa3, ...at])).toBe(ONE + MEM); // MOV [DATA], EAX (moffs)
  });

  it('a taken branch costs one more than one not taken; JMP, CALL and RET are always taken', () => {
    expect(cyclesOf([0x85, 0xe4, 0x74, 0x00])).toBe(2 * ONE); // TEST ESP, ESP; JZ (not taken)
    expect(cyclesOf([0x85, 0xe4, 0x75, 0x00])).toBe(2 * ONE + TAKEN); // JNZ (taken)
    expect(cyclesOf([0x85, 0xe4, 0x0f, 0x85, 0, 0, 0, 0])).toBe(2 * ONE + TAKEN); // JNZ rel32
    expect(cyclesOf([0xe9, 0, 0, 0, 0])).toBe(ONE + TAKEN); // JMP rel32
    // CALL f; JMP over; f: RET
    expect(cyclesOf([0xe8, 0x02, 0, 0, 0, 0xeb, 0x01, 0xc3])).toBe(3 * (ONE + TAKEN));
  });

  it('MUL and IMUL cost the multiplier, DIV and IDIV the divider', () => {
    const ebx = (value: number) => (cpu: CPU) => { cpu.r32[3] = value; };
    expect(cyclesOf([0xf7, 0xe3], ebx(3))).toBe(CYCLES.multiply); // MUL EBX
    expect(cyclesOf([0x0f, 0xaf, 0xcb], ebx(3))).toBe(CYCLES.multiply); // IMUL ECX, EBX
    expect(cyclesOf([0x6b, 0xcb, 0x05], ebx(3))).toBe(CYCLES.multiply); // IMUL ECX, EBX, 5
    // XOR EDX, EDX; DIV EBX
    expect(cyclesOf([0x31, 0xd2, 0xf7, 0xf3], ebx(7))).toBe(ONE + CYCLES.divide);
    expect(cyclesOf([0x99, 0xf7, 0xfb], ebx(7))).toBe(ONE + CYCLES.divide); // CDQ; IDIV EBX
    expect(cyclesOf([0xf7, 0x25, ...le32(DATA)], ebx(3))).toBe(CYCLES.multiply + MEM); // MUL [DATA]
  });

  it('a string instruction costs one step per element, REP or not, and none for a zero count', () => {
    const strings = (count: number) => (cpu: CPU) => { cpu.r32[1] = count; cpu.r32[7] = 0x4000; };
    expect(cyclesOf([0xf3, 0xaa], strings(10))).toBe(ONE + 10 * CYCLES.stringElement); // REP STOSB
    expect(cyclesOf([0xf3, 0xaa], strings(0))).toBe(ONE);
    expect(cyclesOf([0xab], strings(10))).toBe(ONE + CYCLES.stringElement); // STOSD
  });

  it('a segment load that reads a descriptor costs the load; a null selector does not', () => {
    const cx = (value: number) => (cpu: CPU) => { withGdt(cpu); cpu.r32[1] = value; };
    expect(cyclesOf([0x8e, 0xd9], cx(0x10))).toBe(CYCLES.segmentLoad); // MOV DS, CX
    expect(cyclesOf([0x8e, 0xd9], cx(0))).toBe(ONE);
  });

  it('far JMP, CALL and RET cost a far transfer each', () => {
    const next = CODE + START.length + 7;
    expect(cyclesOf([0xea, ...le32(next), 0x08, 0x00], withGdt)).toBe(CYCLES.farTransfer);
    // CALL FAR f; JMP over; f: RETF
    const f = CODE + START.length + 9;
    expect(cyclesOf([0x9a, ...le32(f), 0x08, 0x00, 0xeb, 0x01, 0xcb], withGdt)).toBe(2 * CYCLES.farTransfer + ONE + TAKEN);
  });

  it('a far CALL through a call gate into ring 0 and the far RET back to ring 3 cost their ring-change figures', () => {
    // At ring 3: CALL FAR 0x33:0 (a DPL-3 gate to ring-0 code at `handler`); JMP over; handler: RETF
    const handler = CODE + START.length + 9;
    const ring3WithGate = (cpu: CPU) => {
      withGdt(cpu);
      const extra = [[0x0000ffff, 0x00cffa00], [0x0000ffff, 0x00cff200], [(0x08 << 16) | (handler & 0xffff), (handler & 0xffff0000) | 0xec00]];
      extra.forEach(([low, high], i) => { cpu.ram32[(GDT >>> 2) + 2 * (4 + i)] = low!; cpu.ram32[(GDT >>> 2) + 2 * (4 + i) + 1] = high!; });
      cpu.gdtLimit = 8 * 7 - 1;
      // The TSS at 0x7000 (withGdt's descriptor 0x18) gives SS0:ESP0 = 0x10:0x9000.
      cpu.ram32[(0x7004 >>> 2)] = 0x9000;
      cpu.ram32[(0x7008 >>> 2)] = 0x10;
      cpu.trSel = 0x18; cpu.trBase = 0x7000; cpu.trLimit = 0x67;
      cpu.segSel[1] = 0x23; cpu.segSel[2] = 0x2b;
      cpu.setCpl(3);
    };
    expect(cyclesOf([0x9a, 0, 0, 0, 0, 0x33, 0x00, 0xeb, 0x01, 0xcb], ring3WithGate))
      .toBe(CYCLES.callGateToInnerRing + ONE + TAKEN + CYCLES.farReturnToOuterRing);
  });

  it('INT n and IRET within ring 0 cost their same-ring figures', () => {
    // INT 0x40; JMP over; handler: IRET
    const handler = CODE + START.length + 4;
    expect(cyclesOf([0xcd, 0x40, 0xeb, 0x01, 0xcf], (cpu) => { withGdt(cpu); gate(cpu, 0x40, handler); }))
      .toBe(CYCLES.intSameRing + ONE + TAKEN + CYCLES.iretSameRing);
  });

  it('SYSENTER and SYSEXIT cost theirs', () => {
    // SYSENTER lands on the next instruction: MOV EDX, back; MOV ECX, ESP; SYSEXIT; back: (ring 3)
    const landing = CODE + START.length + 2;
    const back = landing + 9;
    const msrs = (cpu: CPU) => { cpu.msr.set(0x174, 0x08n); cpu.msr.set(0x175, 0x7000n); cpu.msr.set(0x176, BigInt(landing)); };
    expect(cyclesOf([0x0f, 0x34, 0xba, ...le32(back), 0x89, 0xe1, 0x0f, 0x35], msrs))
      .toBe(CYCLES.sysenter + 2 * ONE + CYCLES.sysexit);
  });

  it('system instructions: control registers, INVLPG, port I/O, table loads, HLT, CPUID, MSRs', () => {
    const at = le32(DATA);
    expect(cyclesOf([0x0f, 0x20, 0xd9, 0x0f, 0x22, 0xd9])).toBe(ONE + CYCLES.movToCr3); // MOV ECX, CR3; MOV CR3, ECX
    expect(cyclesOf([0x0f, 0x20, 0xc1, 0x0f, 0x22, 0xc1])).toBe(ONE + CYCLES.movToOtherCr); // ... CR0
    expect(cyclesOf([0x0f, 0x06])).toBe(CYCLES.movToOtherCr); // CLTS
    expect(cyclesOf([0x0f, 0x01, 0x3d, ...at])).toBe(CYCLES.INVLPG + MEM);
    expect(cyclesOf([0xe4, 0x80])).toBe(CYCLES.portIo); // IN AL, 0x80
    expect(cyclesOf([0xe6, 0x80])).toBe(CYCLES.portIo); // OUT 0x80, AL
    expect(cyclesOf([0x0f, 0x01, 0x15, ...at])).toBe(CYCLES.tableLoad + MEM); // LGDT
    expect(cyclesOf([0x0f, 0x01, 0x1d, ...at])).toBe(CYCLES.tableLoad + MEM); // LIDT
    expect(cyclesOf([0x0f, 0x00, 0xd9], (cpu) => { withGdt(cpu); cpu.r32[1] = 0x18; })).toBe(CYCLES.tableLoad); // LTR CX
    expect(cyclesOf([0xf4])).toBe(CYCLES.HLT);
    expect(cyclesOf([0x31, 0xc0, 0x0f, 0xa2])).toBe(ONE + CYCLES.CPUID); // XOR EAX, EAX; CPUID
    const ecx = (cpu: CPU) => { cpu.r32[1] = 0x174; };
    expect(cyclesOf([0x0f, 0x32], ecx)).toBe(CYCLES.msrAccess); // RDMSR
    expect(cyclesOf([0x0f, 0x30], ecx)).toBe(CYCLES.msrAccess); // WRMSR
  });

  it('RDMSR of IA32_TSC reads the cycle count, and WRMSR to it moves RDTSC by exactly the difference', () => {
    // MOV ECX, 0x10; RDMSR: the reading is the cycles so far, its own included
    const cpu = makeCpu();
    cpu.ram.set([0xb9, 0x10, 0, 0, 0, 0x0f, 0x32], CODE);
    cpu.eip = CODE;
    step(cpu);
    step(cpu);
    expect(cpu.r32[0]).toBe(ONE + CYCLES.msrAccess);
    // WRMSR to the TSC with 1,000,000, then RDTSC: what WRMSR set plus RDTSC's own cycles.
    cpu.ram.set([0xb8, ...le32(1_000_000), 0x31, 0xd2, 0x0f, 0x30, 0x0f, 0x31], CODE);
    cpu.eip = CODE;
    for (let i = 0; i < 4; i++) step(cpu);
    expect(cpu.r32[0]).toBe(1_000_000 + CYCLES.RDTSC);
  });

  it('an exception or device interrupt costs its delivery, and is charged even though it is no instruction', () => {
    for (const [kind, cost] of [[InterruptKind.Exception, CYCLES.exceptionSameRing], [InterruptKind.External, CYCLES.externalSameRing]] as const) {
      const cpu = makeCpu();
      withGdt(cpu);
      gate(cpu, 0x20, 0x2000);
      const before = cpu.cycles();
      deliverInterrupt(cpu, 0x20, -1, kind, CODE);
      expect(cpu.cycles() - before).toBe(cost);
    }
  });
});

describe('cycle costs that depend on the TLB', () => {
  const PAGES = 5;
  const FIRST = 0x10000;
  /** MOV ECX, [FIRST + i pages] for each page: one TLB refill each when the TLB has none of them. */
  const touchPages = Array.from({ length: PAGES }, (_, i) => [0x8b, 0x0d, ...le32(FIRST + i * 0x1000)]).flat();

  /** Paging on, the code page global (CR4.PGE) so that a CR3 write keeps it, the pages touched once already. */
  function warmPaging(cpu: CPU): void {
    enablePaging(cpu, (pte) => { pte[CODE >>> 12]! |= 0x100; });
    cpu.cr4 |= 0x80;
    cpu.r32[3] = cpu.cr3; // EBX: the same directory, for the CR3 write
    for (let i = 0; i < PAGES; i++) cpu.read32(FIRST + i * 0x1000);
  }

  it('a CR3 write costs itself plus two page-walk reads for every page touched after it', () => {
    const without = cyclesOf(touchPages, warmPaging);
    const withSwitch = cyclesOf([0x0f, 0x22, 0xdb, ...touchPages], warmPaging); // MOV CR3, EBX first
    expect(without).toBe(PAGES * (ONE + MEM));
    expect(withSwitch - without).toBe(CYCLES.movToCr3 + PAGES * 2 * CYCLES.pageWalkRead);
  });

  it('INVLPG costs one refill of the page it drops; a 4 MiB page walks one level', () => {
    // INVLPG [FIRST]; MOV ECX, [FIRST]
    const dropOne = [0x0f, 0x01, 0x3d, ...le32(FIRST), 0x8b, 0x0d, ...le32(FIRST)];
    expect(cyclesOf(dropOne, warmPaging)).toBe(CYCLES.INVLPG + MEM + ONE + MEM + 2 * CYCLES.pageWalkRead);
    const large = (cpu: CPU) => {
      warmPaging(cpu);
      // Directory entry 1 maps 4 MiB at 4 MiB with PS (CR4.PSE).
      cpu.ram32[(cpu.cr3 >>> 2) + 1] = 0x400000 | 0x87;
      cpu.cr4 |= 0x10;
    };
    // (With RAM behind it: the lab PC walks again on every access to a page that has none.)
    expect(cyclesOf([0x8b, 0x0d, ...le32(0x400000)], large, makeCpu(8 << 20))).toBe(ONE + MEM + CYCLES.pageWalkRead);
  });

  it('a faulting instruction charges nothing of its own, but the walk that found the fault stands', () => {
    const cpu = makeCpu();
    enablePaging(cpu, (pte) => { pte[0x20] = 0; }); // page 0x20000 not present
    cpu.ram.set([0x90, 0x8b, 0x0d, ...le32(0x20000)], CODE); // NOP (the code page's refill); MOV ECX, [0x20000]
    cpu.eip = CODE;
    step(cpu);
    const before = cpu.cycles();
    expect(() => step(cpu)).toThrow(CpuException);
    expect(cpu.eip).toBe(CODE + 1);
    expect(cpu.cycles() - before).toBe(2 * CYCLES.pageWalkRead);
  });
});
