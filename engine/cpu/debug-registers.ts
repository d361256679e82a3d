// The debug registers and the debug exception (SDM Vol. 3, chapter 17):
// DR0-DR3 hold breakpoint addresses, DR7 enables them and says what each
// watches, DR6 reports why #DB was raised. Instruction breakpoints are faults
// checked before an instruction; data breakpoints and the single-step trap
// (EFLAGS.TF) are traps reported after it.
//
// None of this costs the ordinary run loop anything: while no breakpoint is
// enabled, TF and RF are clear and no trap is held back by MOV SS, the loop
// never looks here. When one of them is on, execute.ts runs the guest one
// interpreted instruction at a time through stepDebugged (compiled blocks
// are left alone), and enabled data breakpoints close the TLB fast paths so
// that every data access reaches translate(), which reports it here.
// I/O breakpoints (R/W = 10 with CR4.DE set) are traps too: IN, OUT, INS and
// OUTS report their ports here. With CR4.DE clear the SDM leaves R/W = 10
// undefined; the lab PC then does what QEMU does, an I/O breakpoint still.

import type { CpuState } from './state.ts';
import type { CPU } from './cpu.ts';
import { CpuException, Vector } from './exceptions.ts';
import { RF, TF } from './flags.ts';
import { hex32 } from '../hex.ts';

/** DR6: B0-B3 (which breakpoints matched), BD (general detect), BS (single step); the other bits read as ones. */
export const DR6_B_ALL = 0xf;
export const DR6_BD = 1 << 13;
export const DR6_BS = 1 << 14;
const DR6_FIXED_ONES = 0xffff0ff0 | 0;
/** DR7: L0/G0..L3/G3 in bits 0-7, GD in bit 13, R/W and LEN per breakpoint from bit 16; bit 10 reads as one. */
export const DR7_GD = 1 << 13;
const DR7_FIXED_ONE = 1 << 10;
/** DR7 bits that hold something on this CPU (LE/GE, GD, the enables and the R/W-LEN fields). */
const DR7_KNOWN = 0xffff23ff | 0;
const CR4_DE = 1 << 3;

/** R/W field of DR7 for breakpoint n (SDM 17.2.4). */
const enum Watch { Execute = 0, Write = 1, Io = 2, ReadWrite = 3 }

/** The debug registers as they read after reset (SDM Table 9-1): DR6 0xFFFF0FF0, DR7 0x400. */
export function resetDebugRegisters(cpu: CpuState): void {
  cpu.dr.fill(0);
  cpu.dr[6] = DR6_FIXED_ONES;
  cpu.dr[7] = DR7_FIXED_ONE;
  armBreakpoints(cpu);
}

/**
 * True while the guest has asked for something only the debugged loop does:
 * a breakpoint enabled, TF or RF set, or a trap that MOV SS held back.
 */
export function debugActive(cpu: CpuState): boolean {
  return (cpu.flags & (TF | RF)) !== 0 || (cpu.codeBreakpoints | cpu.dataBreakpoints | cpu.ioBreakpoints | cpu.debugHeld) !== 0;
}

/** Which of DR0-DR3 are enabled (L or G) for instruction fetches, for data accesses and for port I/O. */
function armBreakpoints(cpu: CpuState): void {
  const dr7 = cpu.dr[7]!;
  let code = 0, data = 0, io = 0;
  for (let n = 0; n < 4; n++) {
    if (((dr7 >>> (2 * n)) & 3) === 0) continue;
    const watch = (dr7 >>> (16 + 4 * n)) & 3;
    if (watch === Watch.Execute) code |= 1 << n;
    // SDM 17.2.4: R/W = 10 is an I/O breakpoint with CR4.DE set, and undefined without it: QEMU 7.2 watches the ports.
    else if (watch === Watch.Io) io |= 1 << n;
    else data |= 1 << n;
  }
  cpu.codeBreakpoints = code;
  cpu.dataBreakpoints = data;
  cpu.ioBreakpoints = io;
  // Data breakpoints must see every access, which the TLB fast paths would skip.
  cpu.updateAccessMasks();
}

/** Bytes breakpoint n covers, from DR7's LEN field: 1, 2, 8 or 4 (SDM Table 17-2; 8 as QEMU has it). */
function breakpointLength(dr7: number, n: number): number {
  return [1, 2, 8, 4][(dr7 >>> (18 + 4 * n)) & 3]!;
}

/**
 * A data access of one byte at `linear`, seen by translate() while data
 * breakpoints are enabled: note each breakpoint whose range holds the byte
 * (an access of several bytes comes here byte by byte, so it matches when any
 * of its bytes is in range). SDM 17.2.5: the range is the breakpoint address
 * with its low bits dropped to the length's alignment.
 */
export function noteDataAccess(cpu: CpuState, linear: number, write: boolean): void {
  const dr7 = cpu.dr[7]!;
  for (let n = 0; n < 4; n++) {
    if ((cpu.dataBreakpoints & (1 << n)) === 0) continue;
    if (!write && ((dr7 >>> (16 + 4 * n)) & 3) !== Watch.ReadWrite) continue;
    const length = breakpointLength(dr7, n);
    if (((linear ^ cpu.dr[n]!) & ~(length - 1)) === 0) cpu.dataHits |= 1 << n;
  }
}

/**
 * Port I/O of `size` bytes at `port` by IN, OUT, INS or OUTS, while I/O
 * breakpoints are enabled: note each whose range (DRn aligned down to its
 * LEN, as for data) holds one of the ports. The trap follows the instruction.
 */
export function noteIoAccess(cpu: CpuState, port: number, size: number): void {
  const dr7 = cpu.dr[7]!;
  for (let n = 0; n < 4; n++) {
    if ((cpu.ioBreakpoints & (1 << n)) === 0) continue;
    const length = breakpointLength(dr7, n);
    const first = cpu.dr[n]! & 0xffff & ~(length - 1);
    if (port <= first + length - 1 && port + size - 1 >= first) cpu.dataHits |= 1 << n;
  }
}

/** MOV from DR0-DR7 (SDM Vol. 2 "MOV—Move to/from Debug Registers"). */
export function readDebugRegister(cpu: CPU, n: number): number {
  return cpu.dr[checkDebugRegisterAccess(cpu, n, 'MOV from')]!;
}

/** MOV to DR0-DR7: DR6 and DR7 keep their fixed bits; a new DR7 or address re-arms the breakpoints. */
export function writeDebugRegister(cpu: CPU, n: number, value: number): void {
  const reg = checkDebugRegisterAccess(cpu, n, 'MOV to');
  if (reg === 6) cpu.dr[6] = value | DR6_FIXED_ONES;
  else if (reg === 7) cpu.dr[7] = (value & DR7_KNOWN) | DR7_FIXED_ONE;
  else cpu.dr[reg] = value;
  armBreakpoints(cpu);
  // A breakpoint may now be enabled: the run loop must look before the next instruction.
  cpu.stopRequested = true;
}

/**
 * The checks of MOV to or from a debug register, in the SDM's order: CPL 0,
 * DR4/DR5 are #UD with CR4.DE and aliases of DR6/DR7 without it, and with
 * DR7.GD set the access is a #DB fault with DR6.BD. Returns the register meant.
 */
function checkDebugRegisterAccess(cpu: CPU, n: number, what: string): number {
  cpu.requireCpl0(`${what} a debug register`);
  if (n === 4 || n === 5) {
    if ((cpu.cr4 & CR4_DE) !== 0) cpu.undefinedOpcode(`${what} DR${n} with CR4.DE set`);
    n += 2;
  }
  if ((cpu.dr[7]! & DR7_GD) !== 0) {
    // SDM 17.2.4: general detect; the handler is entered with GD clear so that it may use the registers.
    cpu.dr[6] = (cpu.dr[6]! & ~DR6_B_ALL) | DR6_BD;
    throw new CpuException(Vector.DB, -1, `${what} DR${n} with DR7.GD set (general detect)`);
  }
  return n;
}

/** A task switch clears the local enables L0-L3 (SDM 17.2.4): local breakpoints belong to the task that set them. */
export function switchedTask(cpu: CpuState): void {
  cpu.dr[7] = cpu.dr[7]! & ~0x55;
  armBreakpoints(cpu);
}

/** Entering the #DB handler clears DR7.GD (SDM 17.2.4). */
export function enteringDebugHandler(cpu: CpuState): void {
  cpu.dr[7] = cpu.dr[7]! & ~DR7_GD;
}

/** Enabled instruction breakpoints whose address is `linear` (LEN must be 0 for them; SDM 17.2.5). */
function instructionBreakpointHits(cpu: CpuState, linear: number): number {
  let hits = 0;
  for (let n = 0; n < 4; n++) {
    if ((cpu.codeBreakpoints & (1 << n)) !== 0 && cpu.dr[n] === linear) hits |= 1 << n;
  }
  return hits;
}

function describeDebugStatus(status: number): string {
  const parts: string[] = [];
  for (let n = 0; n < 4; n++) if (status & (1 << n)) parts.push(`breakpoint ${n}`);
  if (status & DR6_BS) parts.push('single step');
  return parts.join(', ');
}

/**
 * One instruction under the debug rules (SDM 17.3.1). `interpret` executes
 * the instruction at CS:EIP as the ordinary loop does.
 *
 * 1. An enabled instruction breakpoint at CS:EIP is a fault, before the
 *    instruction, unless RF is set (17.3.1.1); RF is then cleared.
 * 2. After the instruction, a data breakpoint it hit and the single step
 *    (TF set when it began; 17.3.1.4) are one trap, reported in DR6. INT n,
 *    INT3, INTO and INT1 clear TF as they enter their handler, and are not
 *    single-stepped (as QEMU has it).
 * 3. After MOV SS or POP SS those traps wait until the next instruction has
 *    completed too, and are reported with its own (SDM 6.8.3).
 * 4. A trap after an iteration of a REP string instruction that was not its
 *    last returns to the instruction with RF set in the frame (17.3.1.1).
 */
export function stepDebugged(cpu: CPU, interpret: (cpu: CPU) => void): void {
  if ((cpu.flags & RF) === 0 && cpu.codeBreakpoints !== 0) {
    const hits = instructionBreakpointHits(cpu, (cpu.csBase + cpu.eip) | 0);
    if (hits !== 0) {
      cpu.ip0 = cpu.eip;
      cpu.dr[6] = (cpu.dr[6]! & ~DR6_B_ALL) | hits;
      throw new CpuException(Vector.DB, -1, `${describeDebugStatus(hits)} at ${hex32((cpu.csBase + cpu.eip) | 0)}`);
    }
  }
  const stepping = (cpu.flags & TF) !== 0;
  const held = cpu.debugHeld;
  cpu.debugHeld = 0;
  cpu.flags &= ~RF;
  cpu.dataHits = 0;
  cpu.movSsShadow = false;
  cpu.softwareInterrupted = false;
  cpu.repResumed = false;
  interpret(cpu);
  const status = held | cpu.dataHits | (stepping && !cpu.softwareInterrupted ? DR6_BS : 0);
  if (status === 0) return;
  if (cpu.movSsShadow) {
    cpu.debugHeld = status;
    return;
  }
  if (cpu.repResumed) cpu.flags |= RF;
  // A trap after HLT is taken at once: the handler returns past the HLT.
  cpu.halted = false;
  cpu.dr[6] = (cpu.dr[6]! & ~DR6_B_ALL) | status;
  // The instruction has retired: the trap's frame returns to the next one.
  cpu.ip0 = cpu.eip;
  throw new CpuException(Vector.DB, -1, describeDebugStatus(status));
}
