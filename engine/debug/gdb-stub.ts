// A gdb remote stub for the lab PC: gdb attaches with `target remote` and
// sees an i386 that it can stop, step, break and watch. The stub speaks over
// any byte stream (the `lab` command gives it a loopback TCP connection).
// Memory is read and written by linear address through the current page
// tables, and an unmapped address is an error reply; breakpoints live in
// the stub, never in guest memory, so a kernel that checksums its own code
// sees nothing. Every packet, however malformed, gets an answer or is
// dropped; none can throw into the engine.
//
// What gdb sees: registers eax, ecx, edx, ebx, esp, ebp, esi, edi, eip,
// eflags, cs, ss, ds, es, fs, gs (the start of gdb's i386 register layout;
// the x87 registers it also knows are reported unavailable); breakpoints
// (Z0, Z1), write watchpoints (Z2), and read and access watchpoints (Z3, Z4;
// kept by the CPU's memory path) at linear addresses; steps and continues
// (s, c, and S and C, whose signal it drops: a machine has none to take);
// `monitor regs`, `monitor gdt`, `monitor idt`, `monitor tss`,
// `monitor pagewalk ADDR`.
//
// It also runs backwards (reverse-stepi, reverse-continue, and reverse-next,
// which gdb builds from those): the bs and bc packets, served by restoring
// snapshots and replaying (timeline.ts). A run that ends by a triple fault
// or a HLT that nothing can wake stops in gdb with a signal instead of
// ending, so the student can go back from there to the instruction at fault.

import type { RunResult } from '../config.ts';
import type { DebugPause, Machine, WatchHit } from '../machine.ts';
import { hexDigits } from '../hex.ts';
import { formatPageWalk, formatTables } from './monitor.ts';
import { framePacket, le32Hex, PacketReader, toHex } from './rsp.ts';
import { Timeline, type ReverseStop } from './timeline.ts';
import { WatchSet } from './watches.ts';

/** Steps a continue takes before it lets the host read the connection (for Ctrl-C). */
const CHUNK = 200_000;
/** The most memory one `m` packet reads. */
const MAX_READ = 4096;

const TARGET_XML = '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386</architecture></target>';

const SIGINT = 2;
const SIGILL = 4;
const SIGTRAP = 5;
const SIGABRT = 6;
const SIGSEGV = 11;
const SIGXCPU = 24;
const SIGXFSZ = 25;

export interface StubIo {
  send(bytes: Uint8Array): void;
  /** The session is over (gdb killed or detached, or broke the protocol). */
  close(): void;
  /** Runs `fn` soon, after pending input: how a continue yields between chunks. */
  defer(fn: () => void): void;
}

export class GdbStub {
  private readonly reader = new PacketReader();
  private readonly breakpoints = new Set<number>();
  private readonly watches: WatchSet;
  private readonly timeline: Timeline;
  private lastStop = `S${hex2(SIGTRAP)}`;
  private ackMode = true;
  private running = false;
  private interruptRequested = false;
  private ended: RunResult | undefined;
  private closed = false;

  constructor(private readonly machine: Machine, private readonly io: StubIo) {
    this.watches = new WatchSet(machine);
    this.timeline = new Timeline(machine);
  }

  /** How the run ended, once it has. */
  get result(): RunResult | undefined {
    return this.ended;
  }

  receive(bytes: Uint8Array): void {
    for (const item of this.reader.feed(bytes)) {
      if (this.closed) return;
      switch (item.kind) {
        case 'interrupt':
          this.interruptRequested = true;
          break;
        case 'bad-checksum':
          if (this.ackMode) this.io.send(Buffer.from('-'));
          break;
        case 'too-long':
          this.reply('E01');
          break;
        case 'packet':
          if (this.ackMode) this.io.send(Buffer.from('+'));
          this.handle(item.payload);
          break;
      }
    }
  }

  private reply(payload: string): void {
    if (!this.closed) this.io.send(framePacket(payload));
  }

  private handle(p: string): void {
    // While the target runs, gdb sends nothing but Ctrl-C; anything else waits for the stop.
    if (this.running) return;
    try {
      const answer = this.answer(p);
      if (answer !== undefined) this.reply(answer);
    } catch {
      // A packet we cannot act on is an error reply, never a crash.
      this.reply(`E${hex2(1)}`);
    }
  }

  /** The reply to one packet; undefined when the reply comes later (a continue or step) or never (kill). */
  private answer(p: string): string | undefined {
    const m = this.machine;
    switch (p[0]) {
      case '?':
        return this.lastStop;
      case 'g':
        return gdbRegisters(m).map(le32Hex).join('');
      case 'p': {
        const value = gdbRegisters(m)[parseInt(p.slice(1), 16)];
        return value === undefined ? 'E00' : le32Hex(value);
      }
      case 'P': {
        const [n, v] = p.slice(1).split('=');
        return this.edited(setRegister(m, parseInt(n ?? '', 16), Buffer.from(v ?? '', 'hex'))) ? 'OK' : 'E00';
      }
      case 'm': {
        const [addr, len] = p.slice(1).split(',').map((x) => parseInt(x, 16));
        if (addr === undefined || len === undefined || !Number.isFinite(addr) || !Number.isFinite(len)) return 'E01';
        const bytes = m.peekLinear(addr | 0, Math.min(len, MAX_READ));
        return bytes === null || bytes.length === 0 ? 'E14' : toHex(bytes);
      }
      case 'M': {
        const [where, data] = p.slice(1).split(':');
        const [addr, len] = (where ?? '').split(',').map((x) => parseInt(x, 16));
        const bytes = Buffer.from(data ?? '', 'hex');
        if (addr === undefined || !Number.isFinite(addr) || bytes.length !== len) return 'E01';
        return this.edited(m.pokeLinear(addr | 0, bytes)) ? 'OK' : 'E14';
      }
      case 'c':
      case 's':
      case 'C':
      case 'S': {
        // C and S carry a signal for the target, which gdb sends after a stop
        // it reports as a signal (SIGXCPU at the budget, say) unless told not
        // to pass it. A machine has no signals to deliver, so it is dropped.
        const at = resumeAddress(p);
        if (at === null) return 'E01';
        if (at !== undefined) {
          m.cpu.eip = at | 0;
          this.edited(true);
        }
        this.resume(p[0] === 's' || p[0] === 'S' ? 1 : Infinity);
        return undefined;
      }
      case 'b':
        if (p === 'bs') return this.reversed(this.timeline.stepBack());
        if (p === 'bc') {
          this.searchBackwards();
          return undefined;
        }
        return '';
      case 'Z':
      case 'z':
        return this.breakpoint(p);
      case 'k':
        this.close();
        return undefined;
      case 'D':
        this.reply('OK');
        this.close();
        return undefined;
      case 'H':
        return 'OK';
      case 'T':
        return 'OK';
      case 'q':
      case 'Q':
        return this.query(p);
      default:
        return '';
    }
  }

  private query(p: string): string {
    if (p.startsWith('qSupported')) return `PacketSize=${(16 * 1024).toString(16)};qXfer:features:read+;QStartNoAckMode+;ReverseStep+;ReverseContinue+`;
    if (p === 'QStartNoAckMode') {
      // This packet was acknowledged already; from its reply on, nothing is.
      this.ackMode = false;
      return 'OK';
    }
    if (p.startsWith('qXfer:features:read:target.xml:')) {
      const [off, len] = p.slice('qXfer:features:read:target.xml:'.length).split(',').map((x) => parseInt(x, 16));
      const chunk = TARGET_XML.slice(off ?? 0, (off ?? 0) + (len ?? 0));
      return ((off ?? 0) + chunk.length >= TARGET_XML.length ? 'l' : 'm') + chunk;
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) {
      const command = Buffer.from(p.slice(6), 'hex').toString('latin1').trim();
      this.reply(`O${toHex(Buffer.from(this.monitor(command)))}`);
      return 'OK';
    }
    return '';
  }

  private monitor(command: string): string {
    const [verb, arg] = command.split(/\s+/);
    const m = this.machine;
    switch (verb) {
      case 'regs': {
        const r = m.registers();
        return `cr0 ${hexDigits(r.cr0)} cr2 ${hexDigits(r.cr2)} cr3 ${hexDigits(r.cr3)} cr4 ${hexDigits(r.cr4)} cpl ${r.cpl}\n`;
      }
      case 'gdt':
      case 'idt':
      case 'tss':
        return formatTables(m.inspect, verb);
      case 'pagewalk': {
        const addr = parseInt(arg ?? '', 16);
        return Number.isFinite(addr) ? formatPageWalk(m.inspect, addr >>> 0) : 'usage: monitor pagewalk ADDRESS (hex)\n';
      }
      default:
        return 'monitor commands: regs, gdt, idt, tss, pagewalk ADDRESS\n';
    }
  }

  private breakpoint(p: string): string {
    const [type, addrText, kindText] = p.slice(1).split(',');
    const addr = parseInt(addrText ?? '', 16) >>> 0;
    const length = parseInt(kindText ?? '', 16);
    if (!Number.isFinite(addr)) return 'E01';
    const insert = p[0] === 'Z';
    switch (type) {
      case '0':
      case '1':
        if (insert) this.breakpoints.add(addr);
        else this.breakpoints.delete(addr);
        return 'OK';
      case '2':
        if (!(length >= 1 && length <= 8)) return 'E01';
        if (insert) this.watches.add(addr, length);
        else this.watches.remove(addr);
        return 'OK';
      case '3':
      case '4': {
        if (!(length >= 1 && length <= 8)) return 'E01';
        const kind = type === '3' ? 'read' : 'access';
        if (insert) this.watches.addAccess(addr, length, kind);
        else this.watches.removeAccess(addr, kind);
        return 'OK';
      }
      default:
        return '';
    }
  }

  /** Runs `steps` steps (Infinity: until something stops it), in chunks, then sends the stop reply. */
  private resume(steps: number): void {
    if (this.ended !== undefined) {
      // Nothing runs after the end: say why again, and stop where it stopped.
      this.reply(endLine(this.ended));
      this.reply(this.lastStop);
      return;
    }
    this.running = true;
    this.interruptRequested = false;
    let left = steps;
    const chunk = () => {
      if (this.closed) return;
      const outcome = this.timeline.run({
        steps: left,
        chunk: CHUNK,
        breakpoints: this.breakpoints,
        ...(this.watches.size > 0 ? { watchHit: () => this.watches.changed() } : {}),
      });
      if ('pause' in outcome && outcome.pause === 'running') {
        left -= CHUNK;
        if (this.interruptRequested) return this.stopped(`S${hex2(SIGINT)}`);
        this.io.defer(chunk);
        return;
      }
      this.stopped('pause' in outcome ? pauseReply(outcome) : this.endReply(outcome));
    };
    chunk();
  }

  /**
   * reverse-continue, one snapshot interval at a time, yielding between them
   * like a continue so that Ctrl-C is read: a long run with nothing to stop
   * at going back takes seconds to search. Interrupted, the machine stays at
   * the earliest point the search has reached, which is where the run has
   * gone back to with no stop on the way.
   */
  private searchBackwards(): void {
    this.running = true;
    this.interruptRequested = false;
    const search = this.timeline.searchBackwards(this.breakpoints, this.watches);
    const interval = () => {
      if (this.closed) return;
      const next = search.next();
      if (next.done === true) return this.stopped(this.reversed(next.value));
      if (!this.interruptRequested) return this.io.defer(interval);
      this.timeline.stopAt(next.value);
      this.stopped(this.reversed({ stop: 'interrupted' }));
    };
    interval();
  }

  private stopped(reply: string): void {
    this.running = false;
    this.lastStop = reply;
    this.reply(reply);
  }

  private endReply(result: RunResult): string {
    this.ended = result;
    // The machine stays as it ended, for gdb to look at: only a clean exit ends the "process".
    this.reply(endLine(result));
    switch (result.reason) {
      case 'debug-exit': return `W${hex2(((result.exitStatus ?? 0) >>> 1) & 0xff)}`;
      case 'triple-fault': return `S${hex2(SIGSEGV)}`;
      case 'halt': return `S${hex2(SIGABRT)}`;
      case 'budget': return `S${hex2(SIGXCPU)}`;
      case 'output-limit': return `S${hex2(SIGXFSZ)}`;
      case 'unsupported': return `S${hex2(SIGILL)}`;
      default: return `S${hex2(SIGTRAP)}`;
    }
  }

  /**
   * The machine ran backwards and stopped: it is at an earlier point of the
   * run, before any end, and the watched locations hold what they held there.
   */
  private reversed(stop: ReverseStop): string {
    this.ended = undefined;
    this.watches.rebase();
    const reply = reverseReply(stop);
    this.lastStop = reply;
    return reply;
  }

  /** A register or memory write by the debugger (`ok`: it was made) starts a new run from here. */
  private edited(ok: boolean): boolean {
    if (ok) this.timeline.edited();
    return ok;
  }

  private close(): void {
    this.closed = true;
    this.io.close();
  }
}

/** The console line gdb prints when the run has ended. */
function endLine(result: RunResult): string {
  return `O${toHex(Buffer.from(`lab PC: ${result.reason}: ${result.message}\n`))}`;
}

/**
 * Where a c, s, C or S packet resumes: undefined for where the machine is,
 * null for a packet that names no number where one belongs.
 */
function resumeAddress(p: string): number | undefined | null {
  const signalled = p[0] === 'C' || p[0] === 'S';
  const [sig, addr] = signalled ? p.slice(1).split(';') : ['00', p.length > 1 ? p.slice(1) : undefined];
  if (!/^[0-9a-fA-F]{1,2}$/.test(sig ?? '')) return null;
  if (addr === undefined) return undefined;
  return /^[0-9a-fA-F]{1,8}$/.test(addr) ? parseInt(addr, 16) : null;
}

function pauseReply(p: DebugPause): string {
  if (p.pause === 'watchpoint') return watchReply(p);
  return `S${hex2(SIGTRAP)}`;
}

function reverseReply(r: ReverseStop): string {
  switch (r.stop) {
    case 'begin': return `T${hex2(SIGTRAP)}replaylog:begin;`;
    case 'interrupted': return `S${hex2(SIGINT)}`;
    case 'watchpoint': return watchReply(r);
    default: return `S${hex2(SIGTRAP)}`;
  }
}

/** The stop reply naming a watchpoint's hit, in the field gdb reads for its kind. */
function watchReply(hit: WatchHit): string {
  const field = hit.kind === 'write' ? 'watch' : hit.kind === 'read' ? 'rwatch' : 'awatch';
  return `T${hex2(SIGTRAP)}${field}:${hit.address.toString(16)};`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** gdb's i386 registers 0-15, in its numbering: the general registers, EIP, EFLAGS, then the segment selectors. */
function gdbRegisters(m: Machine): number[] {
  const r = m.registers();
  return [r.eax, r.ecx, r.edx, r.ebx, r.esp, r.ebp, r.esi, r.edi, r.eip, r.eflags, r.cs, r.ss, r.ds, r.es, r.fs, r.gs];
}

/** Sets a general register or EIP; segment registers and EFLAGS are the kernel's to load. */
function setRegister(m: Machine, n: number, bytes: Buffer): boolean {
  if (bytes.length < 4 || !(n >= 0 && n <= 8)) return false;
  const value = bytes.readUInt32LE(0);
  if (n === 8) m.cpu.eip = value | 0;
  else m.cpu.r32[n] = value | 0;
  return true;
}
