// The processor's state: general and segment registers with their descriptor
// caches, EFLAGS with lazy status flags, control and system registers, the
// per-instruction prefix state, and the accounting every instruction shares
// (retired count, budget, CPL and CR3 shares). What reads and writes memory
// is in linear-memory.ts, instruction decoding in decode.ts, and cpu.ts puts
// the layers together as the CPU class.
//
// The layers are one class chain, CpuState <- CpuMemory <- CpuDecoder <- CPU,
// on purpose: every instruction touches these fields and methods, and V8
// generates the best code when they all live on one object of one shape (a
// CPU is the only class ever instantiated, so every call site sees one shape).

import { AF, ARITH, CF, FIXED_ONE, IF, Lazy, MASK, OF, PARITY, PF, SF, SIGN, ZF } from './flags.ts';
import { CpuException, Vector } from './exceptions.ts';
import { PortBus } from '../devices/ports.ts';
import { Tlb, TLB_VALID } from '../memory/tlb.ts';
import { AccessWatch } from '../memory/access-watch.ts';
import { WrittenPages } from '../memory/written-pages.ts';
import { MACHINES_RELEASED_TOGETHER, Spares } from '../memory/spares.ts';
import type { UncountedEvent } from '../events.ts';
import type { MmioBus } from '../devices/mmio.ts';
import type { LocalApic } from '../devices/local-apic.ts';
import type { BlockCache } from './compile/block-cache.ts';
import { resetDebugRegisters } from './debug-registers.ts';
import { knownCondition } from './ops/arith-semantics.ts';

/** Segment register numbers as the ModRM sreg field encodes them. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** Register numbers as ModRM encodes them. */
export const enum Reg { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7 }

/** Index of each 16-bit register in `r16`: the low word of its dword, register number * 2. */
export const enum Reg16 { AX = 0, CX = 2, DX = 4, BX = 6, SP = 8, BP = 10, SI = 12, DI = 14 }

/** Byte offset of AL, CL, DL, BL, AH, CH, DH, BH inside the little-endian register file. */
const REG8_OFFSET = [0, 4, 8, 12, 1, 5, 9, 13] as const;

type IndexesBelow<N extends number, Counted extends number[] = []> =
  Counted['length'] extends N ? Counted[number] : IndexesBelow<N, [...Counted, Counted['length']]>;

/**
 * A typed array of N elements as the type checker sees it: a constant index
 * below N (`Reg.ESP`, `Seg.SS`, `Reg16.CX`) or a value typed `Seg` reads a
 * number, at no cost at run time. A computed index still reads `number |
 * undefined`, and the site asserts it with `!`: a register number is three
 * bits of a ModRM, SIB or opcode byte (`m & 7`), so it is below 8, and a
 * segment register number is checked against 5 where it is decoded.
 */
export type FixedArray<A, N extends number> = A & { [K in IndexesBelow<N>]: number };

const INT_MIN = 0x80000000 | 0;

/**
 * What a read of a physical address with no RAM behind it returns, for data
 * and instruction fetches alike: all ones, as on a PC, where a cycle nobody
 * claims ends in a PCI master abort that reads 0xFF. The lab PC has no BIOS
 * ROM, so the reset vector at 0xFFFFFFF0 reads the same. Fetched, FF FF is
 * group 5 with /7, an undefined opcode: a kernel that jumps into nothing stops
 * with #UD at the address it jumped to.
 *
 * The SDM leaves unclaimed addresses to the chipset, and QEMU's answer is not
 * a PC's: QEMU 7.2 reads unassigned memory as zeros, so a jump to 0x80000000
 * slides through gigabytes of "add %al,(%eax)" (00 00) for minutes, and at
 * 0xFFFFFFF0 it runs its SeaBIOS reset vector, a far jump that raises #GP.
 */
export const OPEN_BUS = 0xff;


/**
 * The small arrays compiled blocks use besides memory: the general registers
 * and the segment bases and check flags. Compiled code is bound to the very
 * arrays it runs on (block-compiler.ts), so these are kept for the thread's
 * next machine, as RAM and the TLB are: its blocks are then the functions V8
 * has already optimized.
 */
class RegisterFile {
  // General registers: one buffer seen as dwords, words and bytes, so that
  // AX, AL and AH alias EAX exactly as on hardware.
  readonly regs = new ArrayBuffer(32);
  readonly r32 = new Int32Array(this.regs) as FixedArray<Int32Array, 8>;
  readonly r16 = new Uint16Array(this.regs) as FixedArray<Uint16Array, 16>;
  readonly r8 = new Uint8Array(this.regs) as FixedArray<Uint8Array, 32>;
  // Each on a buffer of its own: V8 keeps a typed array this small inside its
  // heap, where the garbage collector may move it, and optimized code must then
  // load its address afresh at every access after a store or a call. The data
  // of an array over its own ArrayBuffer never moves, so a block's code holds
  // its address as a constant, as it does for r32 (read in V8's code for a block).
  readonly segBase = new Int32Array(new ArrayBuffer(6 * 4)) as FixedArray<Int32Array, 6>;
  readonly segNeedsCheck = new Uint8Array(new ArrayBuffer(6)) as FixedArray<Uint8Array, 6>;
}

const spareRegisterFiles = new Spares<RegisterFile>(MACHINES_RELEASED_TOGETHER);

export class CpuState {
  private readonly registerFile = spareRegisterFiles.take() ?? new RegisterFile();
  readonly regs = this.registerFile.regs;
  readonly r32 = this.registerFile.r32;
  readonly r16 = this.registerFile.r16;
  readonly r8 = this.registerFile.r8;

  eip = 0;

  // Segment registers and their descriptor caches.
  readonly segSel = new Uint16Array(6) as FixedArray<Uint16Array, 6>;
  readonly segBase = this.registerFile.segBase;
  readonly segLimit = new Int32Array(6) as FixedArray<Int32Array, 6>;
  /** Access-rights byte and flags nibble of the cached descriptor (bits 8..15 and 20..23 of its high dword). */
  readonly segAccess = new Int32Array(6) as FixedArray<Int32Array, 6>;
  /**
   * Per segment register: 0 when the segment is flat (base 0, 4 GiB limit,
   * expand-up, usable), so memory accesses through it need no checks; else the
   * access goes through checkSegmentAccess (null selector, limit).
   */
  readonly segNeedsCheck = this.registerFile.segNeedsCheck;
  /** CS base, copied out of segBase because every instruction fetch adds it. */
  csBase = 0;

  cpl = 0;
  cr0 = 0x00000011; // PE stays off until the boot code sets it; ET is hard-wired
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  gdtBase = 0;
  gdtLimit = 0;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0;
  /** DR0-DR7 (DR4 and DR5 are never stored: they alias DR6 and DR7); see debug-registers.ts. */
  readonly dr = new Int32Array(8);
  /**
   * Breakpoints DR7 enables, as bit masks of DR0-DR3: instruction breakpoints, data (write or read/write)
   * ones, and I/O ones (R/W = 10 with CR4.DE set).
   */
  codeBreakpoints = 0;
  dataBreakpoints = 0;
  ioBreakpoints = 0;
  /** Data and I/O breakpoints the instruction in flight has hit (DR6 B0-B3 bits), while any is enabled. */
  dataHits = 0;
  /** DR6 bits of a trap that MOV SS or POP SS held back until the next instruction completes (SDM 6.8.3). */
  debugHeld = 0;
  /** Set by MOV SS and POP SS (not STI): debug traps wait, like interrupts, for one more instruction. */
  movSsShadow = false;
  /** Set by INT n, INT3, INTO and INT1: the instruction entered a handler itself, and is not single-stepped. */
  softwareInterrupted = false;
  /** Set when a REP string instruction stops before its last iteration and will resume. */
  repResumed = false;
  /** While stepping under the debug rules a REP string instruction does one iteration per execution. */
  repOneIteration = false;
  /** Model-specific registers the lab PC models (SYSENTER_CS/ESP/EIP), keyed by number. */
  readonly msr = new Map<number, bigint>();
  /** What WRMSR to IA32_TSC added to the virtual time-stamp counter (mod 2^64). */
  tscOffset = 0n;

  // EFLAGS: `flags` holds every bit except the six status flags while a lazy record is live.
  flags = FIXED_ONE;
  lzOp: Lazy = Lazy.None;
  lzA = 0;
  lzB = 0;
  lzR = 0;
  /** Operand size of the lazy record in bytes: 1, 2 or 4. */
  lzSize = 4;

  // Per-instruction decode state.
  /** EIP of the instruction being executed: faults report it and restart from it. */
  ip0 = 0;
  /** Operand-size prefix seen: operands are 16-bit. */
  o16 = false;
  /** Address-size prefix seen: addresses are 16-bit. */
  a16 = false;
  /** Segment override, or -1. */
  segOvr = -1;
  /** 0 none, 1 REP/REPE (F3), 2 REPNE (F2). */
  rep = 0;
  /** Number of prefix bytes of the current instruction; many of them get its length checked (decode.ts). */
  prefixCount = 0;
  /** Segment that the last effective address used (for limit checks and diagnostics). */
  eaSeg: Seg = Seg.ES;

  // Memory. Physical addresses come out of the TLB's XOR as int32, negative
  // from 2 GiB up (RAM reaches 3 GiB, and a guest may name any address):
  // every comparison with ramSize and every index into RAM takes them `>>> 0`.
  readonly ram: Uint8Array;
  readonly ram16: Uint16Array;
  readonly ram32: Int32Array;
  readonly ramSize: number;
  readonly tlb = Tlb.take();
  /** The TLB's entry array itself, one load closer to the hot path. */
  readonly tlbEntries = this.tlb.entries;
  /** A debugger's read and access watchpoints: the debugger's, not the machine's state. */
  readonly accessWatch = new AccessWatch(this.tlb);
  /** TLB entry bits that must be clear (besides VALID set) for a read or a write at the current CPL. */
  tlbReadMask = TLB_VALID;
  tlbWriteMask = TLB_VALID;
  /**
   * The masks the fast paths test: the TLB's own, or 0 while data breakpoints
   * are enabled, which no entry passes, so every data access goes through
   * translate() and is checked against them.
   */
  readMask = TLB_VALID;
  writeMask = TLB_VALID;
  /** Linear page of the last instruction fetch, and the XOR that turns its linear addresses into physical ones. */
  fetchPage = -1;
  fetchXor = 0;

  // Execution control.
  /**
   * Instructions retired since reset. A repeated string instruction counts
   * once per execution, and one execution handles up to a slice of its
   * elements (see ops/string.ts); virtual time advances with this count.
   */
  retired = 0;
  /**
   * What the instruction budget counts beyond `retired`: a repeated string
   * instruction costs one unit per element, so an execution that handled k
   * elements adds k - 1 here.
   */
  repCharge = 0;
  /**
   * Exceptions and device interrupts delivered, one budget unit each (see
   * RunEnd.delivered). Budget used = retired + repCharge + deliveryCharge.
   */
  deliveryCharge = 0;
  /** Budget units at which the run must stop (the machine's maxInstructions): a REP stops there, part-way if need be. */
  budgetLimit = Infinity;
  /**
   * `retired` at which the current run slice ends. Charging REP elements
   * lowers it by as much, so a slice is bounded in budget units, and with
   * it the host time between two of the machine's checks (its deadline).
   */
  sliceEnd = 0;
  /** Virtual time skipped while halted (HLT with IF = 1 waits for the next device event). */
  idleTicks = 0;
  /** The part of idleTicks skipped in the current HLT, for the event of the interrupt that ends it (kept here, so a snapshot has it). */
  haltedTicks = 0;
  /** True while inside the instruction loop: a privilege change then belongs to the instruction in flight. */
  executing = false;
  /**
   * Modelled cycles (cycle-model.ts) beyond the one each retired instruction
   * costs, charged by the instructions themselves. An instruction that faults
   * did not happen, so its charges are taken back (from extraCyclesAtStart).
   */
  extraCycles = 0;
  /** extraCycles when the instruction in flight started (see abandonInstruction in execute.ts). */
  extraCyclesAtStart = 0;
  /**
   * Modelled cycles that stand even when an instruction faults, as the work
   * was done: page-walk reads, string elements handled, deliveries.
   */
  committedCycles = 0;
  /** Instructions retired at each CPL, and the count when CPL last changed. */
  readonly retiredPerCpl = new Float64Array(4);
  cplSince = 0;
  /** Modelled cycles spent at each CPL, and the cycle count when CPL last changed. */
  readonly cyclesPerCpl = new Float64Array(4);
  cplCyclesSince = 0;
  /** Instructions retired under each CR3 value (a process's share), and the count when CR3 last changed. */
  readonly retiredPerCr3 = new Map<number, number>();
  cr3Since = 0;
  /** Modelled cycles spent under each CR3 value, and the cycle count when CR3 last changed. */
  readonly cyclesPerCr3 = new Map<number, number>();
  cr3CyclesSince = 0;
  /**
   * Set by anything that must end the current run slice: debug-exit, HLT, the
   * output limit, and anything that may make an interrupt deliverable (IF set,
   * a PIC change), so the machine looks before the next instruction.
   */
  stopRequested = false;
  halted = false;
  /** A shadow after STI / MOV SS: no interrupt is taken before the next instruction completes. */
  interruptShadow = false;

  readonly io: PortBus;
  /** Devices above RAM in the physical address space (the APICs), for a program's loads and stores; null: none. */
  mmio: MmioBus | null = null;
  /** The local APIC, for IA32_APIC_BASE, IA32_TSC_DEADLINE and CPUID; null for a CPU without one (unit tests). */
  apic: LocalApic | null = null;
  /** True when SS is a 32-bit stack segment (its B bit): pushes use ESP, else SP. */
  stack32 = true;
  /** Compiled blocks of hot code, or null to interpret everything. */
  blocks: BlockCache | null = null;
  /** True while a compiled block runs: device registers are then out of bounds (LEAVE_BLOCK). */
  inBlock = false;
  /**
   * A write while a compiled block ran dropped compiled code (the block's own,
   * perhaps): the block stops after the instruction that wrote, since the
   * instructions it would run next may no longer be the bytes it was made from.
   */
  codeChanged = false;
  /**
   * A compiled block reached a device's registers (LEAVE_BLOCK): once the
   * block's catch has put ip0 on that instruction, the run loop stops
   * compiling it.
   */
  leftForDevice = false;
  /** The event stream's listener; null when nobody watches (checked on rare paths only). */
  emit: ((event: UncountedEvent) => void) | null = null;

  constructor(
    ram: Uint8Array,
    io: PortBus,
    /** Where every write path into RAM notes the page, so a released machine's RAM is cheap to zero. */
    readonly written = new WrittenPages(ram.length),
  ) {
    this.ram = ram;
    this.ramSize = ram.length;
    this.ram16 = new Uint16Array(ram.buffer, ram.byteOffset, ram.length >>> 1);
    this.ram32 = new Int32Array(ram.buffer, ram.byteOffset, ram.length >>> 2);
    this.io = io;
    resetDebugRegisters(this);
  }

  /** Zeroes the register file and keeps it for the thread's next CPU; this one must not be used any more. */
  releaseRegisters(): void {
    const file = this.registerFile;
    file.r32.fill(0);
    file.segBase.fill(0);
    file.segNeedsCheck.fill(0);
    spareRegisterFiles.give(file);
  }

  /** Forget the prefixes of the instruction that just ended (only called when it had any). */
  clearPrefixes(): void {
    this.o16 = false;
    this.a16 = false;
    this.segOvr = -1;
    this.rep = 0;
    this.prefixCount = 0;
  }

  // ---- registers --------------------------------------------------------

  getReg8(n: number): number {
    return this.r8[REG8_OFFSET[n]!]!;
  }

  setReg8(n: number, v: number): void {
    this.r8[REG8_OFFSET[n]!] = v;
  }

  /** A general register of `size` bytes (1: AL..BH numbering, 2: AX.., 4: EAX..). */
  readReg(reg: number, size: number): number {
    return size === 1 ? this.getReg8(reg) : size === 2 ? this.r16[reg << 1]! : this.r32[reg]!;
  }

  writeReg(reg: number, size: number, v: number): void {
    if (size === 1) this.setReg8(reg, v);
    else if (size === 2) this.r16[reg << 1] = v;
    else this.r32[reg] = v;
  }

  // ---- flags ------------------------------------------------------------

  /** Start a lazy record for an arithmetic result of `size` bytes. Operands and result are masked to size. */
  setLazy(op: Lazy, a: number, b: number, r: number, size: number): void {
    this.lzOp = op;
    this.lzA = a;
    this.lzB = b;
    this.lzR = r;
    this.lzSize = size;
  }

  getCF(): boolean {
    switch (this.lzOp) {
      case Lazy.Add: return (this.lzR ^ INT_MIN) < (this.lzA ^ INT_MIN);
      // ADC/SBB keep the carry-in in `flags` (it was materialized before the record was made).
      case Lazy.Adc: return this.flags & CF
        ? (this.lzR ^ INT_MIN) <= (this.lzA ^ INT_MIN)
        : (this.lzR ^ INT_MIN) < (this.lzA ^ INT_MIN);
      case Lazy.Sub: return (this.lzA ^ INT_MIN) < (this.lzB ^ INT_MIN);
      case Lazy.Sbb: return this.flags & CF
        ? (this.lzA ^ INT_MIN) <= (this.lzB ^ INT_MIN)
        : (this.lzA ^ INT_MIN) < (this.lzB ^ INT_MIN);
      case Lazy.Logic: return false;
      case Lazy.Product: return this.lzA !== 0;
      default: return (this.flags & CF) !== 0;
    }
  }

  getZF(): boolean {
    return this.lzOp === Lazy.None ? (this.flags & ZF) !== 0 : this.lzR === 0;
  }

  getSF(): boolean {
    return this.lzOp === Lazy.None ? (this.flags & SF) !== 0 : (this.lzR & SIGN[this.lzSize]!) !== 0;
  }

  getPF(): boolean {
    return this.lzOp === Lazy.None ? (this.flags & PF) !== 0 : PARITY[this.lzR & 0xff]! !== 0;
  }

  getAF(): boolean {
    switch (this.lzOp) {
      case Lazy.None: return (this.flags & AF) !== 0;
      case Lazy.Logic: case Lazy.Shift: case Lazy.Product: return false;
      default: return ((this.lzA ^ this.lzB ^ this.lzR) & 0x10) !== 0;
    }
  }

  getOF(): boolean {
    const sign = SIGN[this.lzSize]!;
    switch (this.lzOp) {
      case Lazy.Add: case Lazy.Adc: case Lazy.Inc:
        return ((this.lzA ^ this.lzR) & (this.lzB ^ this.lzR) & sign) !== 0;
      case Lazy.Sub: case Lazy.Sbb: case Lazy.Dec:
        return ((this.lzA ^ this.lzB) & (this.lzA ^ this.lzR) & sign) !== 0;
      case Lazy.Logic: return false;
      case Lazy.Product: return this.lzA !== 0;
      default: return (this.flags & OF) !== 0;
    }
  }

  /** EFLAGS as software sees it (PUSHF, interrupts). */
  getFlags(): number {
    if (this.lzOp === Lazy.None) return this.flags;
    return (this.flags & ~ARITH)
      | (this.getCF() ? CF : 0) | (this.getPF() ? PF : 0) | (this.getAF() ? AF : 0)
      | (this.getZF() ? ZF : 0) | (this.getSF() ? SF : 0) | (this.getOF() ? OF : 0);
  }

  /**
   * Store the current CF in `flags`, for a lazy record that reads it back:
   * INC/DEC preserve it, ADC/SBB consume it. The other status bits of `flags`
   * are dead while the new record lives, so only CF is computed.
   */
  keepCarry(): void {
    if (this.lzOp !== Lazy.None) {
      this.flags = this.getCF() ? this.flags | CF : this.flags & ~CF;
    }
  }

  /** Fold the lazy record into `flags`, for instructions that change only some status flags. */
  materializeFlags(): void {
    if (this.lzOp !== Lazy.None) {
      this.flags = this.getFlags();
      this.lzOp = Lazy.None;
    }
  }

  /** STI and MOV SS: no interrupt before the next instruction completes (SDM 6.8.3); the machine runs it alone. */
  shadowInterrupts(): void {
    this.interruptShadow = true;
    this.stopRequested = true;
  }

  /**
   * MOV SS and POP SS: besides interrupts, debug traps (data breakpoints,
   * single step) wait until the next instruction completes, so that a kernel
   * can load SS and ESP without a #DB in between (SDM 6.8.3).
   */
  shadowStackSwitch(): void {
    this.shadowInterrupts();
    this.movSsShadow = true;
  }

  /** Set IF; if it was clear, end the slice so a pending interrupt is taken after this instruction. */
  enableInterrupts(): void {
    if ((this.flags & IF) === 0) {
      this.flags |= IF;
      this.stopRequested = true;
    }
  }

  /** Replace the six status flags with `arith` (other bits of the argument are ignored). */
  setArithFlags(arith: number): void {
    this.flags = (this.flags & ~ARITH) | (arith & ARITH);
    this.lzOp = Lazy.None;
  }

  /** SF, ZF and PF of a result of `size` bytes, as flag bits. */
  szp(r: number, size: number): number {
    r &= MASK[size]!;
    return (r === 0 ? ZF : 0) | ((r & SIGN[size]!) !== 0 ? SF : 0) | PARITY[r & 0xff]!;
  }

  /** Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc). */
  condition(cc: number): boolean {
    // Most conditions follow from the last operation's operands at once (CMP then Jcc above all).
    const known = knownCondition(this, this.lzOp, this.lzSize, cc, this.lzA, this.lzB, this.lzR);
    if (known >= 0) return known === 1;
    switch (cc) {
      case 0x0: return this.getOF();
      case 0x1: return !this.getOF();
      case 0x2: return this.getCF();
      case 0x3: return !this.getCF();
      case 0x4: return this.getZF();
      case 0x5: return !this.getZF();
      case 0x6: return this.getCF() || this.getZF();
      case 0x7: return !this.getCF() && !this.getZF();
      case 0x8: return this.getSF();
      case 0x9: return !this.getSF();
      case 0xa: return this.getPF();
      case 0xb: return !this.getPF();
      case 0xc: return this.getSF() !== this.getOF();
      case 0xd: return this.getSF() === this.getOF();
      case 0xe: return this.getZF() || this.getSF() !== this.getOF();
      default: return !this.getZF() && this.getSF() === this.getOF();
    }
  }

  // ---- exceptions, budget, CPL and CR3 accounting ---------------------------

  /** Raise a fault: the instruction did not happen and will be restarted (or the handler reported). */
  fault(vector: Vector, errorCode = -1, detail = ''): never {
    throw new CpuException(vector, errorCode, detail);
  }

  /** #UD for an opcode this CPU does not have (or one the lab PC leaves out). */
  undefinedOpcode(detail: string): never {
    throw new CpuException(Vector.UD, -1, detail);
  }

  /** Privileged instructions need CPL 0 (SDM 5.9): #GP(0) otherwise. */
  requireCpl0(what: string): void {
    if (this.cpl !== 0) throw new CpuException(Vector.GP, 0, `${what} at CPL ${this.cpl}`);
  }

  /** Budget units used so far: instructions retired, plus the REP elements and the deliveries charged beyond them. */
  budgetUsed(): number {
    return this.retired + this.repCharge + this.deliveryCharge;
  }

  /** Charge `units` beyond the instruction in flight to the budget (REP elements), ending the slice sooner. */
  chargeBudget(units: number): void {
    this.repCharge += units;
    this.sliceEnd -= units;
  }

  /** Retired count including the instruction in flight, for accounting at a privilege or address-space change. */
  private accountingNow(): number {
    return this.retired + (this.executing ? 1 : 0);
  }

  /**
   * Modelled cycles so far (cycle-model.ts): one per instruction retired
   * plus what instructions, page walks and deliveries charged. An
   * instruction in flight counts with what it has charged so far and its own
   * cycle, so an event it causes, or an RDTSC, includes its cost.
   */
  cycles(): number {
    return this.accountingNow() + this.extraCycles + this.committedCycles;
  }

  /** Change the current privilege level, and with it what the TLB fast path allows. */
  setCpl(cpl: number): void {
    const now = this.accountingNow();
    this.retiredPerCpl[this.cpl]! += now - this.cplSince; // a CPL is two bits: 0 to 3
    this.cplSince = now;
    const cycles = this.cycles();
    this.cyclesPerCpl[this.cpl]! += cycles - this.cplCyclesSince;
    this.cplCyclesSince = cycles;
    this.cpl = cpl;
    this.updateAccessMasks();
    this.fetchPage = -1;
  }

  /** Close the books on the current CR3 before it changes (or before counters are read). */
  accountCr3(): void {
    const now = this.accountingNow();
    // Keyed unsigned: CR3 is held as an int32, and a directory above 2 GiB must not get a negative key.
    const key = this.cr3 >>> 0;
    this.retiredPerCr3.set(key, (this.retiredPerCr3.get(key) ?? 0) + now - this.cr3Since);
    this.cr3Since = now;
    const cycles = this.cycles();
    this.cyclesPerCr3.set(key, (this.cyclesPerCr3.get(key) ?? 0) + cycles - this.cr3CyclesSince);
    this.cr3CyclesSince = cycles;
  }

  /** Recompute what the TLB fast path may allow at the current CPL. */
  updateAccessMasks(): void {
    const masks = this.tlb.masksFor(this.cpl === 3);
    this.tlbReadMask = masks.read;
    this.tlbWriteMask = masks.write;
    const watching = this.dataBreakpoints !== 0;
    this.readMask = watching ? 0 : masks.read;
    this.writeMask = watching ? 0 : masks.write;
  }

  /** Drop cached translations (CR3 write, paging mode change); keeps global pages when `keepGlobal`. */
  flushTlb(keepGlobal: boolean): void {
    this.tlb.flush(keepGlobal);
    this.fetchPage = -1;
  }
}
