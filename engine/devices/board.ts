// The lab PC's devices as the board wires them: which port each answers,
// which interrupt line each drives, and the two timers (the PIT and the local
// APIC's) whose next event the run loop stops at. The machine runs the CPU;
// this is what sits on its buses.

import type { CPU } from '../cpu/cpu.ts';
import { timeStampCounter } from '../cpu/ops/system.ts';
import { hexDigits } from '../hex.ts';
import { DebugConsole, DebugExit } from './debug-ports.ts';
import { InterruptRouting } from './interrupt-routing.ts';
import type { IoApic } from './io-apic.ts';
import type { LocalApic } from './local-apic.ts';
import type { OutputSink } from './output.ts';
import { PIC_MASTER, PIC_SLAVE, type Pic } from './pic.ts';
import { Pit, PIT_BASE } from './pit.ts';
import type { PortBus } from './ports.ts';
import { KEYBOARD_CONTROLLER, PCI_CONFIG_ADDRESS, ResetPorts, SYSTEM_CONTROL_A } from './reset-ports.ts';
import { COM1, Uart } from './uart.ts';
import { CRTC_INDEX, INPUT_STATUS_1, VgaCrtc } from './vga.ts';

const IRQ_TIMER = 0;
const IRQ_COM1 = 4;
const DEBUG_CONSOLE = 0xe9;
const DEBUG_EXIT = 0xf4;

export interface BoardWiring {
  /** Virtual time in ticks. */
  now(): number;
  /** Bytes a program may read from COM1. */
  serialInput?: Uint8Array | undefined;
  /** Something a device did may end the run or make an interrupt deliverable: the run loop must look. */
  look(): void;
}

export class Board {
  readonly interrupts: InterruptRouting;
  readonly pic: Pic;
  readonly apic: LocalApic;
  readonly ioApic: IoApic;
  readonly pit: Pit;
  readonly crtc = new VgaCrtc();
  readonly uart: Uart;
  readonly debugExit: DebugExit;
  readonly resetPorts: ResetPorts;

  constructor(cpu: CPU, io: PortBus, output: OutputSink, wiring: BoardWiring) {
    this.interrupts = new InterruptRouting({ now: wiring.now, tsc: () => timeStampCounter(cpu), changed: wiring.look });
    ({ pic: this.pic, apic: this.apic, ioApic: this.ioApic } = this.interrupts);
    cpu.mmio = this.interrupts.mmio;
    cpu.apic = this.apic;
    this.pit = new Pit(wiring.now, this.interrupts.isaIrq(IRQ_TIMER));
    this.uart = new Uart(output, wiring.serialInput, this.interrupts.isaIrq(IRQ_COM1));
    this.debugExit = new DebugExit(wiring.look);
    this.resetPorts = new ResetPorts(wiring.look);
    io.claim(PIC_MASTER, 2, this.pic);
    io.claim(PIC_SLAVE, 2, this.pic);
    io.claim(PIT_BASE, 4, this.pit);
    io.claim(COM1, 8, this.uart);
    io.claim(DEBUG_CONSOLE, 1, new DebugConsole(output));
    io.claim(CRTC_INDEX, 2, this.crtc);
    io.claim(INPUT_STATUS_1, 1, this.crtc);
    io.claim(DEBUG_EXIT, 1, this.debugExit);
    io.claim(SYSTEM_CONTROL_A, 1, this.resetPorts);
    io.claim(PCI_CONFIG_ADDRESS, 4, this.resetPorts);
    io.claim(KEYBOARD_CONTROLLER, 1, this.resetPorts);
  }

  /** The devices whose fields are machine state, for snapshots. */
  get stateful(): object[] {
    return [this.pic, this.apic, this.ioApic, this.pit, this.crtc, this.uart, this.debugExit, this.resetPorts];
  }

  /** Tick of the next event of the PIT or the local APIC timer, Infinity when neither will interrupt. */
  nextTimerEvent(): number {
    return Math.min(this.pit.nextEventTicks(), this.apic.nextEventTicks());
  }

  advanceTimers(now: number): void {
    this.pit.advanceTo(now);
    this.apic.advanceTo(now);
  }

  /** For a HLT nothing will wake: what holds back the interrupts that were due. */
  whyNothingIsDelivered(): string {
    const held = this.apic.heldVector();
    if (held >= 0) return `the local APIC holds back vector 0x${hexDigits(held, 2)} (its TPR, a vector in service, or SVR bit 8 clear)`;
    if (!this.apic.acceptsPic()) return 'the local APIC masks LINT0, where the PIC\'s interrupts arrive';
    return 'the PIC masks every interrupt that is due';
  }
}
