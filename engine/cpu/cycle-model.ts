// The lab PC's cycle model: what RDTSC counts. Lab 6 asks what a system call
// costs (INT 0x80 + IRET against SYSENTER + SYSEXIT against a near call, and
// what a CR3 switch adds), which a counter of retired instructions cannot
// answer: it charges a SYSENTER like a NOP. So every instruction costs a
// number of cycles fixed by its class, below, plus what it makes the machine
// do: a page-walk read for every TLB miss, one step per string element.
//
// The numbers are a model, not a measurement of one CPU: each is a round
// figure of the order published for P6-to-Skylake-era cores, chosen so that
// the RATIOS the lab asks about come out as measured on real hardware:
//
// - A near CALL + RET pair costs a few cycles and an L1 load a few more:
//   Agner Fog, "Instruction tables" (https://www.agner.org/optimize/
//   instruction_tables.pdf), of the order of: register ALU ops 1, IMUL r32
//   3, DIV r32 20 to 30, a load's latency 4, CPUID 100 to 200, RDTSC 25,
//   RDMSR/WRMSR 100 and more, on P6 through Skylake cores.
// - A system call through SYSENTER is an order of magnitude more than a call,
//   and INT 0x80 + IRET several times SYSENTER + SYSEXIT: Linus Torvalds,
//   "Intel P6 vs P7 system call performance" (linux-kernel, December 2002),
//   where int 0x80 on a Pentium 4 cost so much that Linux 2.5 moved to
//   SYSENTER and the vsyscall page; A. Brouwer, "The Linux kernel", 4.6
//   "Sysenter and the vsyscall page" (a 2 GHz Pentium 4 slower than an 850
//   MHz Pentium III on system calls); T. Maeda, "Kernel Mode Linux", Linux
//   Journal article 6516, table 2 (https://www.linuxjournal.com/article/6516):
//   getpid through SYSENTER 432 cycles, against 12 for a program run in
//   kernel mode that calls the kernel directly.
// - A CR3 write costs of the order of a hundred cycles itself, and more in
//   the TLB refills after it: the KAISER/KPTI patches (D. Hansen, LKML,
//   November 2017, quoted in "KPTI: The virtual memory 101 fact that's no
//   longer true", https://offlinemark.com/2023/10/09/kpti-the-virtual-memory-
//   101-fact-thats-no-longer-true/): the two CR3 writes per kernel entry add
//   "a few hundred cycles" to every system call; Linux's "Page Table
//   Isolation" documentation (https://www.kernel.org/doc/html/v5.2/x86/
//   pti.html) on the TLB flushes they cause without PCID.
//
// With the table, a CALL + RET pair is 4 cycles, SYSENTER + SYSEXIT 40 (10x),
// INT 0x80 + IRET between rings 160 (4x SYSENTER's), and the same with two
// CR3 writes 460, before the N x 2 page-walk reads of the pages touched after
// each switch.
//
// Determinism: costs depend only on the instructions and on the TLB, which is
// itself deterministic, never on the host; the block compiler adds the same
// costs as the interpreter (a static sum per block plus the same dynamic
// parts), and a test holds the two to it.
//
// Virtual time stays on instructions: the PIT, HLT's skip to the next device
// event and the events' `icount` count retired instructions (plus the time
// HLT skipped), exactly as before there were cycles, so labs 1 to 5 grade as
// they did and still match QEMU where they do. Only RDTSC, RDMSR of
// IA32_TSC, the counters and the events' `cycles` read the cycle model. Time
// skipped in HLT counts one cycle per instruction time on the TSC.

/**
 * Cycles per instruction class. Entries named for instructions are the whole
 * cost of one; those marked "added" are charged on top of an instruction's own.
 */
export const CYCLES = {
  /** Every instruction retired, whatever it is: register moves, ALU, LEA, PUSH/POP, a branch not taken. */
  instruction: 1,
  /** Added for a memory operand (ModRM or direct offset): an L1 hit's load-to-use latency. */
  memoryOperand: 2,
  /** Added when a near JMP, CALL, RET, Jcc, LOOP or JECXZ changes EIP: the fetch is redirected. */
  takenBranch: 1,
  /** MUL and IMUL in every form. */
  multiply: 3,
  /** DIV and IDIV. */
  divide: 25,
  /** Added per element a string instruction handles (MOVS, STOS, LODS, CMPS, SCAS; REP repeats it). */
  stringElement: 1,
  /** Far CALL, JMP and RET: a descriptor read and checked, CS reloaded. */
  farTransfer: 25,
  /** Far CALL through a call gate to an inner ring: the stack switch through the TSS, as INT n to an inner ring. */
  callGateToInnerRing: 90,
  /** Far RET to an outer ring: SS:ESP popped and checked too, as IRET to an outer ring. */
  farReturnToOuterRing: 70,
  /**
   * A hardware task switch, added to what started it (a far JMP or CALL, IRET, a delivery): the whole
   * register file written to one TSS and read from another, busy bits, CR3 and the LDT; it stands once
   * the switch has committed, even if loading the new task's segments then faults.
   */
  taskSwitch: 200,
  /** MOV, POP, LDS (and kin) to a data segment register with a non-null selector: a descriptor read and checked. */
  segmentLoad: 10,
  /** INT n, INT3, INTO to a handler in the same ring. */
  intSameRing: 40,
  /** INT n to an inner ring: the stack switch through the TSS makes it the slow system-call entry. */
  intToInnerRing: 90,
  /** IRET to the same ring. */
  iretSameRing: 30,
  /** IRET to an outer ring: SS:ESP popped and checked too. */
  iretToOuterRing: 70,
  /** An exception delivered through the IDT, same ring / entering an inner ring (the microcode INT n runs). */
  exceptionSameRing: 40,
  exceptionToInnerRing: 90,
  /** A device interrupt delivered through the IDT, same ring / entering an inner ring. */
  externalSameRing: 40,
  externalToInnerRing: 90,
  /** SYSENTER and SYSEXIT: no descriptor, no stack frame, fixed flat segments. */
  sysenter: 20,
  sysexit: 20,
  /** MOV to CR3: the write, and the flush of every non-global TLB entry (the refills are charged as they happen). */
  movToCr3: 150,
  /** MOV to CR0, CR2 or CR4, LMSW, CLTS. */
  movToOtherCr: 20,
  INVLPG: 30,
  /** Added per page-table entry read on a TLB miss with paging on: two for a 4 KiB page, one for a 4 MiB page. */
  pageWalkRead: 10,
  /** IN, OUT, and each element of INS/OUTS: an ISA bus cycle is about a microsecond, 100 cycles of the nominal 100 MHz CPU. */
  portIo: 100,
  /** LGDT, LIDT, LLDT, LTR. */
  tableLoad: 20,
  HLT: 10,
  CPUID: 100,
  RDTSC: 25,
  /** RDMSR and WRMSR. */
  msrAccess: 100,
} as const;

/** What an instruction of a class with the whole cost `cost` adds to the one cycle every instruction retires with. */
export function beyondInstruction(cost: number): number {
  return cost - CYCLES.instruction;
}
