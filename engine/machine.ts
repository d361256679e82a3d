// The lab PC: a CPU, RAM, the devices, and a Multiboot-loaded kernel, run
// until something ends the run. The engine's public face: nothing a guest does
// escapes from here as a host exception.

import { hexDigits } from './hex.ts';
import { RAM_MIB } from './ram-limits.ts';
import { CPU, Seg } from './cpu/cpu.ts';
import { InstructionRing, runInstructions, runInstructionsTraced } from './cpu/execute.ts';
import { BlockCache } from './cpu/compile/block-cache.ts';
import { CpuException, MachineStop } from './cpu/exceptions.ts';
import { deliverInterrupt, InterruptKind } from './cpu/interrupts.ts';
import { FIXED_ONE, IF } from './cpu/flags.ts';
import { ConfigError, InternalEngineError, type MachineConfig, type RunResult } from './config.ts';
import type { EngineEvent, EventListener, UncountedEvent } from './events.ts';
import { PortBus } from './devices/ports.ts';
import { OutputSink, type OutputSource } from './devices/output.ts';
import type { Pic } from './devices/pic.ts';
import { Board } from './devices/board.ts';
import type { LocalApic } from './devices/local-apic.ts';
import type { IoApic } from './devices/io-apic.ts';
import type { Pit } from './devices/pit.ts';
import { readTextScreen, type VgaCrtc } from './devices/vga.ts';
import { loadMultiboot } from './boot/multiboot.ts';
import { initializeFirmwareState } from './boot/firmware-state.ts';
import { giveRam, takeRam, type GuestRam } from './memory/spares.ts';
import { readGdt, readIdt, readTss, type GateInfo, type SegmentDescriptorInfo, type TssInfo } from './inspect/tables.ts';
import { explainAccess, type AccessAnswer, type AccessQuery } from './inspect/page-walk.ts';
import { machineView, type MachineView } from './inspect/machine-view.ts';
import { readRegisters, type Registers } from './inspect/registers.ts';
import { peekLinear, pokeLinear, readPhysical } from './inspect/guest-memory.ts';
import { countersOf, type Counters } from './inspect/counters.ts';
import { ringInstructions, type TracedInstruction } from './inspect/recent-instructions.ts';
import { captureMachineState, restoreMachineState, type MachineParts } from './snapshot/machine-state.ts';
import type { DebugControl, DebugPause, MachineSnapshot } from './debug/control.ts';
import { RunEnd } from './run-end.ts';

export type { Registers } from './inspect/registers.ts';
export type { Counters } from './inspect/counters.ts';
export type { TracedInstruction } from './inspect/recent-instructions.ts';
export type { DebugControl, DebugPause, MachineSnapshot, WatchHit } from './debug/control.ts';

export interface MachineHooks {
  /** Guest output in chunks, in order. */
  onOutput?(chunk: Uint8Array, source: OutputSource): void;
  /**
   * Asked between run slices, at most about a million budget units apart
   * whatever the guest runs (a long REP is charged per element and cut into
   * slices too): true stops the run with reason 'stopped'. A host-side
   * backstop (a wall-clock limit) lives here, outside the guest's deterministic time.
   */
  shouldStop?(): boolean;
}

const MULTIBOOT_MAGIC = 0x2badb002;
/** Budget units run between checks for stop conditions; large enough that the checks cost nothing. */
const SLICE = 1 << 20;
/** Instructions shown before a triple fault or an unsupported instruction. */
const RECENT_SHOWN = 8;
/** Replaying longer runs to show their last instructions would take too long (seconds at interpreter speed). */
const MAX_REPLAY = 200_000_000;
/** How much of a replay's end runs traced: ample for RECENT_SHOWN, whatever the last instructions were. */
const REPLAY_TRACED = 10_000;

export class Machine {
  private readonly core: CPU;
  private readonly memory: Uint8Array;
  private readonly guestRam: GuestRam;
  /** The devices, on their ports and interrupt lines. */
  private readonly board: Board;
  readonly pic: Pic;
  readonly apic: LocalApic;
  readonly ioApic: IoApic;
  readonly pit: Pit;
  readonly crtc: VgaCrtc;
  private readonly io = new PortBus();
  private readonly output: OutputSink;
  private readonly maxInstructions: number;
  private outputLimitReached = false;
  /** How the run ends, and the result once it has. */
  private readonly end: RunEnd;
  private released = false;
  private readonly listeners: { listener: EventListener; ports: boolean }[] = [];
  private readonly shouldStop: (() => boolean) | undefined;
  /** Where the trace starts: Infinity without one. */
  private readonly traceFrom: number;
  /** The last N instructions, when config.traceInstructions > 0. */
  private readonly traceRing: InstructionRing | null;
  /** Steps taken under a debugger (debugRun): how a debugger names a point of the run. */
  private steps = 0;
  /**
   * The furthest step the host has seen: after a restore, steps up to it are
   * a replay of what the host already saw, so their output and events are
   * not given again.
   */
  private seenUntil = -1;

  constructor(private readonly config: MachineConfig, hooks: MachineHooks = {}) {
    const ramMiB = config.ramMiB ?? RAM_MIB.default;
    if (!Number.isInteger(ramMiB) || ramMiB < RAM_MIB.min || ramMiB > RAM_MIB.max) {
      throw new ConfigError(`RAM size ${ramMiB} MiB is out of range; use ${RAM_MIB.min} to ${RAM_MIB.max} MiB`);
    }
    this.guestRam = takeRam(ramMiB * 1024 * 1024);
    this.memory = this.guestRam.bytes;
    this.maxInstructions = config.maxInstructions ?? Number.MAX_SAFE_INTEGER;
    this.shouldStop = hooks.shouldStop;
    const traceLength = config.traceInstructions ?? 0;
    this.traceRing = traceLength > 0 ? new InstructionRing(traceLength) : null;

    this.output = new OutputSink(
      (chunk, source) => {
        if (!this.replaying) hooks.onOutput?.(chunk, source);
      },
      config.maxOutputBytes ?? Infinity,
      () => {
        this.outputLimitReached = true;
        this.core.stopRequested = true;
      },
    );
    this.core = new CPU(this.memory, this.io, this.guestRam.written);
    this.core.budgetLimit = this.maxInstructions;
    this.traceFrom = traceLength > 0 ? config.traceFrom ?? 0 : Infinity;
    // The instruction trace records every instruction, so once it starts the interpreter runs alone.
    if ((config.compile ?? true) && this.traceFrom > 0) this.core.blocks = new BlockCache(this.core, config.compileThreshold);
    // Anything that may make an interrupt deliverable, or end the run, ends the current slice so the loop looks.
    this.board = new Board(this.core, this.io, this.output, {
      now: () => this.now(),
      serialInput: config.serialInput,
      look: () => { this.core.stopRequested = true; },
    });
    ({ pic: this.pic, apic: this.apic, ioApic: this.ioApic, pit: this.pit, crtc: this.crtc } = this.board);
    this.end = new RunEnd({
      cpu: this.core, board: this.board, output: this.output, maxInstructions: this.maxInstructions,
      now: () => this.now(),
      watched: () => this.listeners.length > 0,
      emit: (event) => this.emit(event),
      recentInstructionsText: () => this.recentInstructionsText(),
      peekLinear: (linear, length) => this.peekLinear(linear, length),
    });

    initializeFirmwareState(this.pic, this.pit, this.apic);
    // The firmware's APIC writes asked the run loop to look; there is nothing to deliver yet.
    this.core.stopRequested = false;
    const boot = loadMultiboot(this.memory, {
      kernel: config.kernel,
      kernelName: config.kernelName ?? 'kernel',
      modules: config.modules ?? [],
      cmdline: config.cmdline ?? '',
    });
    // Everything the loader wrote lies below freeAddr.
    this.guestRam.written.markRange(0, boot.freeAddr);
    this.enterMultibootState(boot.entry, boot.infoAddr);
  }

  /** The machine state the Multiboot spec (3.2) promises the kernel at entry. */
  private enterMultibootState(entry: number, infoAddr: number): void {
    const cpu = this.core;
    cpu.r32[0] = MULTIBOOT_MAGIC;
    cpu.r32[3] = infoAddr;
    cpu.eip = entry;
    cpu.flags = FIXED_ONE;
    cpu.cr0 = 0x11; // PE, ET; paging off
    for (let seg = 0; seg < 6; seg++) {
      // Flat 4 GiB, 32-bit, DPL 0: code in CS, read/write data elsewhere.
      cpu.segSel[seg] = seg === Seg.CS ? 0x08 : 0x10;
      cpu.segBase[seg] = 0;
      cpu.segLimit[seg] = -1;
      cpu.segAccess[seg] = seg === Seg.CS ? 0xc09b : 0xc093;
    }
    cpu.stack32 = true;
    cpu.updateAccessMasks();
  }

  /** The CPU, for tools that look inside (tests, benchmarks); throws once the machine is released. */
  get cpu(): CPU {
    this.assertLive();
    return this.core;
  }

  /** Guest RAM; throws once the machine is released (it is then another machine's). */
  get ram(): Uint8Array {
    this.assertLive();
    return this.memory;
  }

  /**
   * A released machine's RAM, TLB and code cache belong to the next machine
   * made on this thread: reading them would show another run's state, so every
   * way in stops here with one clear error (a bug in the caller, not the guest).
   */
  private assertLive(): void {
    if (this.released) throw new Error('this machine was released and its memory given to the next machine; inspect a machine before release()');
  }

  /** Virtual time in ticks: retired instructions plus the time HLT skipped. */
  now(): number {
    return this.core.retired + this.core.idleTicks;
  }

  // ---- events ---------------------------------------------------------------

  /**
   * Watch the event stream. Returns a function that stops watching. With
   * `ports: false` the listener is not sent port accesses, the most numerous
   * events; when no listener wants them, they are not made at all.
   */
  subscribe(listener: EventListener, options: { ports?: boolean } = {}): () => void {
    this.assertLive();
    const entry = { listener, ports: options.ports ?? true };
    this.listeners.push(entry);
    this.updateEmitters();
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
      this.updateEmitters();
    };
  }

  private emit(event: UncountedEvent): void {
    if (this.replaying) return;
    const counted = this.counted(event);
    for (const l of this.listeners) l.listener(counted);
  }

  private emitPort(event: UncountedEvent): void {
    if (this.replaying) return;
    const counted = this.counted(event);
    for (const l of this.listeners) if (l.ports) l.listener(counted);
  }

  /** The event with the modelled cycle count of now, which only the machine's CPU knows. */
  private counted(event: UncountedEvent): EngineEvent {
    return Object.assign(event, { cycles: this.core.cycles() });
  }

  private updateEmitters(): void {
    const watched = this.listeners.length > 0;
    this.core.emit = watched ? (e) => this.emit(e) : null;
    this.output.watch = watched ? (byte, source) => this.emit({ type: 'output', icount: this.core.retired, source, byte }) : null;
    this.io.onAccess = this.listeners.some((l) => l.ports)
      ? (port, size, value, write) => this.emitPort({ type: 'port', icount: this.core.retired, port, size, value, write })
      : null;
  }

  // ---- running ------------------------------------------------------------------

  /**
   * Hands this machine's RAM, TLB, registers and code cache to the next machine made on
   * this thread (see memory/spares.ts). The machine must not be run or
   * inspected afterwards: its memory will be another machine's.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.core.tlb.release();
    this.core.blocks?.release();
    this.core.releaseRegisters();
    giveRam(this.guestRam);
  }

  /**
   * Run until the guest ends the run or a limit is reached. Calling again after
   * the end returns the same result. Throws only InternalEngineError, for a bug
   * of ours (the machine is then unusable; release it).
   */
  run(): RunResult {
    this.assertLive();
    if (this.end.result) return this.end.result;
    try {
      return this.runSlices();
    } catch (e) {
      throw this.internalError(e);
    }
  }

  /** A host exception that escaped the engine, with where the guest was; the original stays as `cause`. */
  private internalError(e: unknown): InternalEngineError {
    let at: string;
    try {
      at = this.where();
    } catch {
      at = `EIP ${hexDigits(this.core.eip)}`;
    }
    return new InternalEngineError(`internal engine error at ${at}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  /**
   * Runs under a debugger: instruction by instruction, pausing before an
   * instruction at a breakpoint (but never before the first one, which the
   * debugger resumes from), after `steps` steps, when a watched location
   * changes, or after `chunk` steps so that the host can look for an
   * interrupt from the debugger. A step is one instruction retired or one
   * exception or interrupt delivered. The run ends as run() ends it.
   */
  debugRun(control: DebugControl): DebugPause | RunResult {
    this.assertLive();
    if (this.end.result) return this.end.result;
    try {
      return this.runSlices(control);
    } catch (e) {
      throw this.internalError(e);
    }
  }

  private runSlices(): RunResult;
  private runSlices(debug: DebugControl): DebugPause | RunResult;
  private runSlices(debug?: DebugControl): DebugPause | RunResult {
    const cpu = this.core;
    let stepsTaken = 0;
    for (;;) {
      if (debug !== undefined) {
        const pause = this.debugPause(debug, stepsTaken);
        if (pause !== undefined) {
          this.output.flush();
          return pause;
        }
      }
      if (cpu.budgetUsed() >= this.maxInstructions) return this.end.finish('budget', this.end.budgetMessage());
      if (this.shouldStop?.()) return this.end.finish('stopped', `stopped by the host at ${this.where()}`);
      // A step is counted once it will change the machine; ending the run before it is not one.
      if (debug !== undefined) {
        // Output a replay left buffered was given the first time: it goes before the first new step.
        if (this.steps === this.seenUntil) this.output.flush();
        this.steps++;
        stepsTaken++;
      }
      try {
        this.deliverPendingInterrupt();
        if (cpu.halted) {
          const result = this.end.idle();
          if (result) {
            // Nothing ran: the HLT was the last step, and one step back is before it.
            if (debug !== undefined) this.steps--;
            return result;
          }
          continue;
        }
        // The delivery may have taken the budget's last unit: then the run ends before the handler starts.
        const left = this.maxInstructions - cpu.budgetUsed();
        if (left <= 0) continue;
        // The slice ends after SLICE budget units at most (fewer instructions if REP elements are charged).
        let limit = cpu.retired + Math.min(debug !== undefined ? 1 : SLICE, left);
        // Stop exactly at the next timer event so it is seen at the same instruction on every host.
        const next = this.board.nextTimerEvent() - cpu.idleTicks;
        if (next < limit) limit = Math.max(next, cpu.retired + 1);
        // After STI or MOV SS, one instruction runs before any interrupt (SDM 6.8.3).
        if (cpu.interruptShadow) {
          limit = cpu.retired + 1;
          cpu.interruptShadow = false;
        }
        if (this.traceRing && cpu.retired >= this.traceFrom) runInstructionsTraced(cpu, limit, this.traceRing);
        else runInstructions(cpu, Math.min(limit, Math.max(this.traceFrom, cpu.retired + 1)));
        this.board.advanceTimers(this.now());
      } catch (e) {
        if (e instanceof CpuException) {
          const result = this.end.exception(e);
          if (result) return result;
          continue;
        }
        if (e instanceof MachineStop) return this.end.finish(e.reason, `${e.detail} (at ${this.where()})${this.recentInstructionsText()}`);
        throw e;
      }
      if (cpu.stopRequested) {
        cpu.stopRequested = false;
        const { debugExit, resetPorts } = this.board;
        if (debugExit.status !== null) {
          return this.end.finish('debug-exit', `guest exited through isa-debug-exit with status ${debugExit.status}`, debugExit.status);
        }
        if (resetPorts.reset !== null) {
          return this.end.finish('reset', `the guest reset the machine through ${resetPorts.reset} at ${this.where(cpu.ip0)}`);
        }
        if (this.outputLimitReached) return this.end.finish('output-limit', `output limit of ${this.output.total} bytes reached at ${this.where()}`);
      }
    }
  }

  /** Steps taken under a debugger since the machine was made: a point of the run, as snapshots name it. */
  get debugSteps(): number {
    return this.steps;
  }

  /** True while the machine replays steps the host has seen (after a restore). */
  private get replaying(): boolean {
    return this.steps <= this.seenUntil;
  }

  /**
   * The whole machine now, between two debugger steps. `previous`, an earlier
   * snapshot of this machine, lends it the RAM pages that have not changed since.
   */
  snapshot(previous?: MachineSnapshot): MachineSnapshot {
    this.assertLive();
    this.output.flush();
    return {
      step: this.steps,
      state: captureMachineState(this.parts(), previous?.state ?? null),
      finished: this.end.result,
      outputLimitReached: this.outputLimitReached,
    };
  }

  /**
   * Puts the machine back as it was at `snapshot` (taken from this machine).
   * Running on from there repeats the same steps; their output and events,
   * which the host has had, are not given again.
   */
  restore(snapshot: MachineSnapshot): void {
    this.assertLive();
    this.output.flush();
    this.seenUntil = Math.max(this.seenUntil, this.steps);
    restoreMachineState(this.parts(), snapshot.state);
    this.steps = snapshot.step;
    this.end.result = snapshot.finished;
    this.outputLimitReached = snapshot.outputLimitReached;
  }

  /** The debugger changed the machine: what runs from here is new, and the host sees all of it. */
  forgetReplay(): void {
    this.seenUntil = Math.min(this.seenUntil, this.steps);
  }

  private parts(): MachineParts {
    const devices = [...this.board.stateful, this.output];
    return { cpu: this.core, written: this.guestRam.written, stateful: [this.core, ...devices, ...(this.traceRing ? [this.traceRing] : [])] };
  }

  /** The linear address of the next instruction: where a debugger's breakpoints are. */
  pc(): number {
    return (this.core.csBase + this.core.eip) >>> 0;
  }

  /** Why a debugged run pauses before its next step, if it does. */
  private debugPause(debug: DebugControl, stepsTaken: number): DebugPause | undefined {
    if (stepsTaken === 0) return undefined;
    const watched = debug.watchHit?.();
    if (watched !== undefined) return { pause: 'watchpoint', ...watched };
    if (stepsTaken >= debug.steps) return { pause: 'step' };
    if (debug.breakpoints.size > 0 && debug.breakpoints.has(this.pc())) return { pause: 'breakpoint' };
    if (stepsTaken >= debug.chunk) return { pause: 'running' };
    return undefined;
  }

  /** Take a device interrupt if one is pending and the CPU accepts interrupts now. */
  private deliverPendingInterrupt(): void {
    const cpu = this.core;
    if ((cpu.flags & IF) === 0 || cpu.interruptShadow || !this.board.interrupts.hasInterrupt()) return;
    const vector = this.board.interrupts.acknowledge();
    // The event says how long the CPU slept: events count retired instructions, which stand still in HLT.
    const halted = cpu.halted ? cpu.haltedTicks : undefined;
    cpu.halted = false;
    cpu.haltedTicks = 0;
    this.end.delivered(deliverInterrupt(cpu, vector, -1, InterruptKind.External, cpu.eip), '', halted);
  }

  // ---- inspection -----------------------------------------------------------------

  /** This machine read-only, for code that judges a run and must not change it (the grader's checks). */
  readonly inspect: MachineView = machineView(this);

  registers(): Registers {
    this.assertLive();
    return readRegisters(this.core);
  }

  gdt(): SegmentDescriptorInfo[] {
    this.assertLive();
    return readGdt(this.core);
  }

  idt(): GateInfo[] {
    this.assertLive();
    return readIdt(this.core);
  }

  tss(): TssInfo | null {
    this.assertLive();
    return readTss(this.core);
  }

  /** What a ring-0 or ring-3 read, write or fetch of `linear` would get right now, and why. */
  explainAccess(linear: number, query: AccessQuery): AccessAnswer {
    this.assertLive();
    return explainAccess(this.core, linear, query);
  }

  /**
   * Bytes at a physical address (signed or unsigned, read as unsigned), as the
   * CPU would read them: where no RAM is, the bus's all ones, up to the end of
   * the 4 GiB address space and past it.
   */
  readPhysical(address: number, length: number): Uint8Array {
    this.assertLive();
    return readPhysical(this.core, address, length);
  }

  /** Bytes at a linear address as ring 0 would read them, without side effects; null when the first byte is unmapped. */
  peekLinear(linear: number, length: number): Uint8Array | null {
    this.assertLive();
    return peekLinear(this.core, linear, length);
  }

  /**
   * Writes `bytes` at a linear address through the current page tables, as a
   * debugger writes: whatever the page's rights, and compiled code on the
   * page is thrown away as for any write. Writes nothing and returns false
   * when any byte is unmapped.
   */
  pokeLinear(linear: number, bytes: Uint8Array): boolean {
    this.assertLive();
    return pokeLinear(this.core, linear, bytes);
  }

  /** The VGA text screen (80x25) as lines, trailing spaces trimmed. */
  screen(): string[] {
    this.assertLive();
    return readTextScreen(this.memory, this.crtc.startAddress());
  }

  counters(): Counters {
    this.assertLive();
    return countersOf(this.core);
  }

  /** The last instructions executed, oldest first (needs config.traceInstructions). */
  recentInstructions(): TracedInstruction[] {
    this.assertLive();
    return this.traceRing ? ringInstructions(this.core, this.traceRing) : [];
  }

  private recentInstructionsText(): string {
    let recent = this.recentInstructions();
    // Without a trace ring, replay the run with one: runs are deterministic, so a
    // second machine stopped at the same count has executed the same instructions.
    if (recent.length === 0 && this.core.budgetUsed() <= MAX_REPLAY) {
      // Compiled up to shortly before the end, traced from there: the same instructions either way.
      const end = this.core.retired;
      const replay = new Machine({
        ...this.config, traceInstructions: RECENT_SHOWN, traceFrom: Math.max(0, end - REPLAY_TRACED), maxInstructions: this.core.budgetUsed() + 1,
      });
      try {
        replay.run();
        recent = replay.recentInstructions();
      } finally {
        replay.release();
      }
    }
    recent = recent.slice(-RECENT_SHOWN);
    if (recent.length === 0) return '; run with --trace=insn to see the last instructions';
    return '; last instructions: ' + recent.map((r) => `[ring ${r.cpl}] ${hexDigits(r.eip)} ${r.text}`).join(' | ');
  }

  /** "CS:EIP instruction" for diagnostics. */
  where(eip = this.core.eip): string {
    this.assertLive();
    return this.end.where(eip);
  }
}
