// The local APIC of the lab PC's one CPU, from the Intel SDM Vol. 3A chapter
// 10 ("Advanced Programmable Interrupt Controller"), with QEMU's choices
// (hw/intc/apic.c) where the SDM leaves room, since QEMU is the oracle the
// differential kernels run against:
//
// - Registers sit at 16-byte steps from the base (IA32_APIC_BASE, MSR 0x1B,
//   0xFEE00000 after reset). Dword accesses work; narrower ones read 0 and
//   are ignored (the SDM calls them model-specific; QEMU does this). A
//   register that does not exist reads 0 and sets ESR bit 7, "illegal
//   register address"; ESR shows the errors latched by the last write to it.
// - Interrupts: a 256-bit IRR, ISR and TMR. The highest vector in the IRR is
//   delivered when its priority class is above the PPR (the TPR, or the
//   class in service if higher); EOI ends the highest vector in service, and
//   for a level-triggered one tells the I/O APIC (its remote IRR).
// - The 8259 reaches the CPU through LINT0 while LINT0 is unmasked (ExtINT
//   in virtual-wire mode, as the firmware leaves it) or while the APIC is
//   disabled in IA32_APIC_BASE; the APIC's own vectors come first.
// - The LVT timer counts down at one count per 2^n ticks of virtual time
//   (n from the divide configuration), one-shot or periodic, and in
//   TSC-deadline mode fires once the time-stamp counter reaches IA32_TSC_
//   DEADLINE (MSR 0x6E0). Nothing counts clock by clock: the next expiry is
//   computed when the timer is programmed and the machine stops there.
// - ICR: fixed and lowest-priority IPIs to this CPU (the self shorthand, all
//   including self, or a destination that names this APIC) set the vector in
//   the IRR; a vector below 16 is refused with ESR bit 5. INIT, SIPI, NMI and
//   SMI are not modelled: there is no other CPU to start and no NMI or SMM
//   handling, so they go nowhere. LINT1, the thermal and performance LVTs
//   and the error LVT are registers only: nothing on the lab PC raises them.
// - The spurious-interrupt vector register's bit 8 software-enables the
//   APIC; clearing it masks every LVT entry (SDM 10.4.7.2). The lab PC
//   never delivers the spurious vector: an interrupt it raises is only held
//   back by the TPR or IF, never withdrawn between request and acknowledge.

export const APIC_DEFAULT_BASE = 0xfee00000;
/** IA32_APIC_BASE bit 8: this is the bootstrap processor; bit 11: the APIC is enabled. */
const BASE_BSP = 1 << 8;
const BASE_ENABLE = 1 << 11;
/** Version 0x14 (an integrated APIC, as QEMU's), six LVT entries: bits 16-23 hold the highest entry's index. */
const VERSION = 0x14 | (5 << 16);

const SVR_ENABLE = 1 << 8;
const LVT_MASKED = 1 << 16;
const LVT_TIMER = 0, LVT_LINT0 = 3;
/** What each LVT entry keeps of a write (SDM Figure 10-8): timer, thermal, performance, LINT0, LINT1, error. */
const LVT_WRITABLE = [0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff] as const;
/** LVT timer bits 17-18; 3 is reserved, and counts nothing. */
const enum TimerMode { OneShot = 0, Periodic = 1, TscDeadline = 2, Reserved = 3 }

/** A TSC deadline further ahead than this many cycles is never reached (see checkDeadline). */
const NEVER_CYCLES = 1n << 52n;

const ESR_SEND_ILLEGAL_VECTOR = 1 << 5;
const ESR_RECEIVE_ILLEGAL_VECTOR = 1 << 6;
const ESR_ILLEGAL_REGISTER = 1 << 7;
const enum DeliveryMode { Fixed = 0, LowestPriority = 1 }
const enum Shorthand { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 }

/** How the local APIC reaches the rest of the machine. */
export interface LocalApicWiring {
  /** Virtual time in ticks. */
  now(): number;
  /** The time-stamp counter now, for TSC-deadline mode. */
  tsc(): bigint;
  /** Something may have become deliverable: the machine should look before the next instruction. */
  changed(): void;
  /** EOI of a level-triggered vector: the I/O APIC clears the remote IRR of pins that sent it. */
  eoiLevel(vector: number): void;
}

/** What the local APIC holds, for inspection and tests. */
export interface LocalApicState {
  base: number;
  id: number;
  tpr: number;
  svr: number;
  irr: number[];
  isr: number[];
  lvt: number[];
  initialCount: number;
  currentCount: number;
  divideConfig: number;
  tscDeadline: bigint;
}

export class LocalApic {
  /** IA32_APIC_BASE: the base address, BSP and enable bits. */
  private baseMsr = APIC_DEFAULT_BASE | BASE_BSP | BASE_ENABLE;
  id = 0;
  private tpr = 0;
  private svr = 0xff;
  private ldr = 0;
  /** DFR bits 28-31: 0xF flat model, 0x0 cluster model. */
  private dfrModel = 0xf;
  readonly irr = new Int32Array(8);
  readonly isr = new Int32Array(8);
  readonly tmr = new Int32Array(8);
  /** Errors since the last write to ESR, and what that write latched (what a read shows). */
  private errors = 0;
  private esr = 0;
  private icrLow = 0;
  private icrHigh = 0;
  readonly lvt = new Int32Array(6).fill(LVT_MASKED);
  private initialCount = 0;
  private divideConfig = 0;
  /** Tick at which the initial count was written. */
  private loadTick = 0;
  /** Tick of the next one-shot or periodic expiry, Infinity when none is due. */
  private timerDue = Infinity;
  /** IA32_TSC_DEADLINE, 0 when disarmed; and the tick at which to look at the TSC again. */
  private tscDeadline = 0n;
  private deadlineCheck = Infinity;

  constructor(private readonly wiring: LocalApicWiring) {}

  // ---- IA32_APIC_BASE and the CPU's view ---------------------------------------------

  /** CPUID.1:EDX.APIC: set while the APIC is enabled in IA32_APIC_BASE (SDM 10.4.3). */
  get present(): boolean {
    return (this.baseMsr & BASE_ENABLE) !== 0;
  }

  readBase(): number {
    return this.baseMsr >>> 0;
  }

  /**
   * WRMSR to IA32_APIC_BASE: false when a reserved bit is set (the caller
   * raises #GP): bits 0-7, 9 and 10 (x2APIC, which the lab PC lacks) and
   * every bit from 32 up (MAXPHYADDR is 32). The BSP bit is read-only.
   * Clearing bit 11 disables the APIC until reset, as on P6-family CPUs
   * and QEMU: its registers return to their power-up state and vanish from
   * the address space, and the 8259 drives the CPU directly. A base moved
   * into RAM leaves the registers unreachable: on the lab PC RAM answers
   * first (hardware would let the APIC hide the RAM there).
   */
  writeBase(value: bigint): boolean {
    if ((value & ~0xfffff900n) !== 0n) return false;
    const low = Number(value);
    const enable = (low & BASE_ENABLE) !== 0 && this.present;
    if (!enable && this.present) this.powerUp();
    this.baseMsr = (low & 0xfffff000) | BASE_BSP | (enable ? BASE_ENABLE : 0);
    this.wiring.changed();
    return true;
  }

  /** IA32_TSC_DEADLINE: reads 0 outside TSC-deadline mode (SDM 10.5.4.1). */
  readDeadline(): bigint {
    return this.timerMode() === TimerMode.TscDeadline ? this.tscDeadline : 0n;
  }

  /** Arms the TSC-deadline timer (0 disarms it); ignored outside TSC-deadline mode. */
  writeDeadline(value: bigint): void {
    if (this.timerMode() !== TimerMode.TscDeadline) return;
    this.tscDeadline = value;
    this.deadlineCheck = value === 0n ? Infinity : this.wiring.now();
    this.wiring.changed();
  }

  /** WRMSR moved the TSC: an armed deadline is looked at again now, not when the old TSC would have reached it. */
  tscMoved(): void {
    if (this.tscDeadline === 0n) return;
    this.deadlineCheck = this.wiring.now();
    this.wiring.changed();
  }

  /** The registers' power-up state (SDM 10.4.7.1). */
  private powerUp(): void {
    this.id = 0; this.tpr = 0; this.svr = 0xff; this.ldr = 0; this.dfrModel = 0xf;
    this.irr.fill(0); this.isr.fill(0); this.tmr.fill(0);
    this.errors = 0; this.esr = 0; this.icrLow = 0; this.icrHigh = 0;
    this.lvt.fill(LVT_MASKED);
    this.initialCount = 0; this.divideConfig = 0; this.timerDue = Infinity;
    this.tscDeadline = 0n; this.deadlineCheck = Infinity;
  }

  state(): LocalApicState {
    return {
      base: this.readBase(), id: this.id, tpr: this.tpr, svr: this.svr, irr: [...this.irr], isr: [...this.isr], lvt: [...this.lvt],
      initialCount: this.initialCount, currentCount: this.currentCount(), divideConfig: this.divideConfig, tscDeadline: this.tscDeadline,
    };
  }

  // ---- memory-mapped registers ---------------------------------------------------------

  page(): number {
    return this.present ? this.baseMsr >>> 12 : -1;
  }

  read(offset: number, size: number): number {
    if (size !== 4) return 0;
    const index = offset >> 4;
    if (index >= 0x10 && index < 0x28) return [this.isr, this.tmr, this.irr][(index - 0x10) >> 3]![index & 7]!;
    if (index >= 0x32 && index < 0x38) return this.lvt[index - 0x32]!;
    switch (index) {
      case 0x02: return this.id << 24;
      case 0x03: return VERSION;
      case 0x08: return this.tpr;
      case 0x09: return 0; // arbitration priority: one CPU never arbitrates
      case 0x0a: return this.ppr();
      case 0x0b: return 0; // EOI is write-only
      case 0x0d: return this.ldr;
      case 0x0e: return (this.dfrModel << 28) | 0x0fffffff;
      case 0x0f: return this.svr;
      case 0x28: return this.esr;
      case 0x30: return this.icrLow;
      case 0x31: return this.icrHigh;
      case 0x38: return this.initialCount;
      case 0x39: return this.currentCount();
      case 0x3e: return this.divideConfig;
      default:
        this.errors |= ESR_ILLEGAL_REGISTER;
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4) return;
    const index = offset >> 4;
    if (index >= 0x32 && index < 0x38) {
      this.writeLvt(index - 0x32, value);
      return;
    }
    if (index >= 0x10 && index < 0x28) return; // ISR, TMR, IRR are read-only
    switch (index) {
      case 0x02: this.id = value >>> 24; return;
      case 0x03: case 0x09: case 0x0a: case 0x39: return; // read-only
      case 0x08: this.tpr = value & 0xff; this.wiring.changed(); return;
      case 0x0b: this.endOfInterrupt(); return;
      case 0x0d: this.ldr = value & 0xff000000; return;
      case 0x0e: this.dfrModel = value >>> 28; return;
      case 0x0f: this.writeSvr(value); return;
      case 0x28: this.esr = this.errors; this.errors = 0; return;
      case 0x30: this.writeIcr(value); return;
      case 0x31: this.icrHigh = value & 0xff000000; return;
      case 0x38: this.writeInitialCount(value); return;
      case 0x3e: this.writeDivideConfig(value); return;
      default: this.errors |= ESR_ILLEGAL_REGISTER;
    }
  }

  private softwareEnabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  private writeSvr(value: number): void {
    this.svr = value & 0x1ff;
    // SDM 10.4.7.2: software-disabled, every LVT entry is masked, and stays so until software unmasks it.
    if (!this.softwareEnabled()) for (let i = 0; i < this.lvt.length; i++) this.lvt[i]! |= LVT_MASKED;
    this.wiring.changed();
  }

  private writeLvt(n: number, value: number): void {
    let entry = value & LVT_WRITABLE[n as 0]!;
    if (!this.softwareEnabled()) entry |= LVT_MASKED;
    if (n === LVT_TIMER) {
      this.advanceTo(this.wiring.now());
      const wasDeadline = this.timerMode() === TimerMode.TscDeadline;
      this.lvt[LVT_TIMER] = entry;
      // SDM 10.5.4.1: moving into or out of TSC-deadline mode disarms the timer; one-shot and periodic count on.
      if (wasDeadline !== (this.timerMode() === TimerMode.TscDeadline)) this.disarm();
      this.scheduleTimer();
    } else {
      this.lvt[n] = entry;
    }
    this.wiring.changed();
  }

  private disarm(): void {
    this.initialCount = 0;
    this.tscDeadline = 0n;
    this.deadlineCheck = Infinity;
  }

  // ---- interrupts ----------------------------------------------------------------------

  /** Processor priority (SDM 10.8.3.1): the TPR, or the class of the highest vector in service if that is higher. */
  private ppr(): number {
    const inService = highestBit(this.isr);
    const isrClass = inService < 0 ? 0 : inService & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr : isrClass;
  }

  /** The vector the APIC would deliver now, or -1: software-enabled, and above the processor priority. */
  private pendingVector(): number {
    if (!this.softwareEnabled() || !this.present) return -1;
    const vector = highestBit(this.irr);
    if (vector < 0) return -1;
    const ppr = this.ppr();
    return ppr !== 0 && (vector & 0xf0) <= (ppr & 0xf0) ? -1 : vector;
  }

  /** The highest vector requested but held back (by the TPR, a vector in service, SVR bit 8), or -1: for diagnostics. */
  heldVector(): number {
    return this.present && !this.hasInterrupt() ? highestBit(this.irr) : -1;
  }

  hasInterrupt(): boolean {
    return this.pendingVector() >= 0;
  }

  /** The CPU takes the pending vector: it moves from the IRR to the ISR. -1 when there is none. */
  acknowledge(): number {
    const vector = this.pendingVector();
    if (vector < 0) return -1;
    clearBit(this.irr, vector);
    setBit(this.isr, vector);
    return vector;
  }

  /** Whether the 8259's INTR reaches the CPU: LINT0 unmasked, or the APIC disabled (QEMU's apic_accept_pic_intr). */
  acceptsPic(): boolean {
    return !this.present || (this.lvt[LVT_LINT0]! & LVT_MASKED) === 0;
  }

  /**
   * A message from the I/O APIC or an IPI: `vector` for the CPUs that
   * `destination` names (physical: an APIC ID or 0xFF; logical: the LDR
   * under the DFR's model). Fixed and lowest-priority modes only.
   */
  receive(vector: number, destination: number, logical: boolean, mode: number, levelTriggered: boolean): void {
    if (!this.present || (mode !== DeliveryMode.Fixed && mode !== DeliveryMode.LowestPriority)) return;
    if (!this.isNamedBy(destination, logical)) return;
    this.accept(vector, levelTriggered);
  }

  private isNamedBy(destination: number, logical: boolean): boolean {
    if (!logical) return destination === 0xff || destination === this.id;
    const mine = this.ldr >>> 24;
    if (this.dfrModel === 0xf) return (destination & mine) !== 0;
    return (destination & 0xf0) === (mine & 0xf0) && (destination & mine & 0x0f) !== 0;
  }

  /** A vector arrives: into the IRR, its trigger mode into the TMR. Vectors 0-15 are illegal (SDM 10.5.3). */
  private accept(vector: number, levelTriggered: boolean): void {
    if (vector < 16) {
      this.errors |= ESR_RECEIVE_ILLEGAL_VECTOR;
      return;
    }
    setBit(this.irr, vector);
    if (levelTriggered) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
    this.wiring.changed();
  }

  private endOfInterrupt(): void {
    const vector = highestBit(this.isr);
    if (vector < 0) return;
    clearBit(this.isr, vector);
    if (testBit(this.tmr, vector)) this.wiring.eoiLevel(vector);
    this.wiring.changed();
  }

  /** ICR low: sends the IPI it describes. Delivery status (bit 12) always reads idle: delivery is instant. */
  private writeIcr(value: number): void {
    this.icrLow = value & ~(1 << 12);
    const vector = value & 0xff;
    const mode = (value >> 8) & 7;
    const shorthand = (value >> 18) & 3 as Shorthand;
    if (mode !== DeliveryMode.Fixed && mode !== DeliveryMode.LowestPriority) return;
    if (vector < 16) {
      this.errors |= ESR_SEND_ILLEGAL_VECTOR;
      return;
    }
    const toSelf = shorthand === Shorthand.Self || shorthand === Shorthand.AllIncludingSelf
      || (shorthand === Shorthand.None && this.isNamedBy(this.icrHigh >>> 24, (value & (1 << 11)) !== 0));
    if (toSelf) this.accept(vector, false);
  }

  // ---- the timer -----------------------------------------------------------------------

  private timerMode(): TimerMode {
    return (this.lvt[LVT_TIMER]! >>> 17) & 3;
  }

  /** Ticks per count: the divide configuration's bits 0, 1 and 3 give 2, 4, ... 128, or 1 for 0b1011. */
  private ticksPerCount(): number {
    const v = (this.divideConfig & 3) | ((this.divideConfig >> 1) & 4);
    return 1 << ((v + 1) & 7);
  }

  private writeInitialCount(value: number): void {
    if (this.timerMode() === TimerMode.TscDeadline) return; // SDM 10.5.4.1: ignored in TSC-deadline mode
    this.initialCount = value >>> 0;
    this.loadTick = this.wiring.now();
    this.scheduleTimer();
    this.wiring.changed();
  }

  private writeDivideConfig(value: number): void {
    // The count so far stands; it goes on at the new rate from now.
    const now = this.wiring.now();
    this.advanceTo(now);
    const current = this.currentCount();
    this.divideConfig = value & 0xb;
    if (this.initialCount !== 0 && current !== 0) this.loadTick = now - (this.initialCount - current) * this.ticksPerCount();
    this.scheduleTimer();
  }

  /** The current-count register: 0 in TSC-deadline mode, after a one-shot expired, or with no count. */
  private currentCount(): number {
    const n = this.initialCount;
    if (n === 0 || this.timerMode() === TimerMode.TscDeadline) return 0;
    const elapsed = Math.floor((this.wiring.now() - this.loadTick) / this.ticksPerCount());
    if (this.timerMode() === TimerMode.Periodic) return n - (elapsed % n);
    return elapsed >= n ? 0 : n - elapsed;
  }

  /** The next expiry after now of a one-shot or periodic count. */
  private scheduleTimer(): void {
    const n = this.initialCount;
    const mode = this.timerMode();
    if (n === 0 || mode === TimerMode.TscDeadline || mode === TimerMode.Reserved) {
      this.timerDue = Infinity;
      return;
    }
    const period = n * this.ticksPerCount();
    const now = this.wiring.now();
    if (mode === TimerMode.OneShot) {
      const due = this.loadTick + period;
      this.timerDue = due > now ? due : Infinity;
      return;
    }
    this.timerDue = this.loadTick + (Math.floor((now - this.loadTick) / period) + 1) * period;
  }

  /** The LVT timer entry signals: its vector, unless masked. */
  private timerInterrupt(): void {
    const entry = this.lvt[LVT_TIMER]!;
    if ((entry & LVT_MASKED) === 0) this.accept(entry & 0xff, false);
  }

  /**
   * Virtual time has reached `ticks`: an expiry due by then signals (several
   * periods passed at once give one request, as the IRR holds one).
   */
  advanceTo(ticks: number): void {
    if (this.timerDue <= ticks) {
      const periodic = this.timerMode() === TimerMode.Periodic;
      this.timerDue = Infinity;
      if (periodic) this.scheduleTimer();
      this.timerInterrupt();
    }
    if (this.deadlineCheck <= ticks) this.checkDeadline(ticks);
  }

  /**
   * The TSC runs at least one cycle per tick (every instruction costs a
   * cycle, and HLT's skipped time one per tick), so the deadline is met no
   * later than `remaining` ticks from now. Looking again a quarter of that
   * ahead fires it within a quarter of the remaining cycles of the deadline,
   * at the same tick on every host, at the cost of a few dozen looks.
   */
  private checkDeadline(ticks: number): void {
    const remaining = this.tscDeadline - this.wiring.tsc();
    if (remaining > NEVER_CYCLES) {
      // Beyond what virtual time can count exactly (2^52 ticks: 1.4 years at 100 MHz): it never comes.
      this.deadlineCheck = Infinity;
      return;
    }
    if (remaining > 0n) {
      this.deadlineCheck = ticks + Math.max(1, Math.ceil(Number(remaining) / 4));
      return;
    }
    this.tscDeadline = 0n;
    this.deadlineCheck = Infinity;
    this.timerInterrupt();
  }

  /**
   * Tick of the next timer event that may make an interrupt deliverable, or
   * Infinity: none is due, the LVT timer is masked, its vector is illegal
   * (below 16: an error, never a request) or already requested (a second
   * request would change nothing). A HLT waits only for events that can wake it.
   */
  nextEventTicks(): number {
    const entry = this.lvt[LVT_TIMER]!;
    const vector = entry & 0xff;
    if ((entry & LVT_MASKED) !== 0 || vector < 16 || testBit(this.irr, vector)) return Infinity;
    return Math.min(this.timerDue, this.deadlineCheck);
  }
}

function highestBit(bits: Int32Array): number {
  for (let word = 7; word >= 0; word--) {
    const w = bits[word]!;
    if (w !== 0) return word * 32 + 31 - Math.clz32(w);
  }
  return -1;
}

function testBit(bits: Int32Array, n: number): boolean {
  return ((bits[n >>> 5]! >>> (n & 31)) & 1) !== 0;
}

function setBit(bits: Int32Array, n: number): void {
  bits[n >>> 5]! |= 1 << (n & 31);
}

function clearBit(bits: Int32Array, n: number): void {
  bits[n >>> 5]! &= ~(1 << (n & 31));
}
