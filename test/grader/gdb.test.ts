// `lab run --gdb` (issue 16) driven by Debian's real gdb in batch mode: it
// attaches to lab 3's reference kernel, breaks at a kernel function, watches
// a variable the timer changes, follows the kernel into ring 3 and back out
// through a trap, reads a struct by name and asks the monitor commands.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { needs } from '../host-tools.ts';
import { Machine } from '../../engine/machine.ts';
import { GdbStub } from '../../engine/debug/gdb-stub.ts';
import { framePacket } from '../../engine/debug/rsp.ts';
import { buildLab, buildLab3, debugLabWithGdb, debugMachineWithGdb, debugWithGdb as debug } from './gdb-driver.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('gdb on the lab PC', needs('gcc', 'bwrap', 'gdb'), () => {
  let kernel: string;
  let hello: string;
  beforeAll(async () => {
    ({ kernel, hello } = await buildLab3());
  });

  it('breaks, watches, steps into ring 3 and out through a trap, and reads structs by name', async () => {
    const s = await debug(kernel, [hello], [
      'break kmain', 'continue', 'info registers eip',
      'watch tss.esp0', 'continue', 'delete',
      'break *0x08048000', 'continue', 'print $cs', 'print tss.ss0', 'stepi', 'print $eip == 0x08048000',
      'break alltraps', 'continue', 'print $cs',
      'monitor tss', 'monitor pagewalk c0000000', 'kill',
    ]);
    expect(s.gdb).toContain('Breakpoint 1, kmain (');
    expect(s.gdb).toMatch(/Hardware watchpoint 2: tss.esp0\s+Old value = 0\s+New value = \d+/);
    // Entering the program: ring 3 (CS 0x1b), the TSS's SS0 the kernel data segment, and a step moves on.
    expect(s.gdb).toMatch(/\$1 = 27\n\$2 = 16\n/);
    expect(s.gdb).toContain('$3 = 0\n');
    // Out through the first trap: back in ring 0.
    expect(s.gdb).toMatch(/Breakpoint 4, .*alltraps.*\n[\s\S]*\$4 = 8\n/);
    expect(s.gdb).toMatch(/tss: selector 0028 .* ss0 0010 esp0 [0-9a-f]{8}/);
    expect(s.gdb).toMatch(/c0000000:\n {2}ring 0 read/);
    expect(s.labStderr).toContain('gdb detached or killed the run');
  });

  it('stops at a triple fault with the machine as it was, instead of ending the run', async () => {
    // The debugger breaks the kernel: no kernel stack for the first trap from ring 3.
    const s = await debug(kernel, [hello], ['break *0x08048000', 'continue', 'set var tss.esp0 = 0', 'delete', 'continue', 'print/x $cs', 'monitor regs', 'kill']);
    expect(s.gdb).toContain('Program received signal SIGSEGV');
    expect(s.gdb).toMatch(/lab PC: triple-fault: .*ESP0 = 0x00000000/);
    expect(s.gdb).toContain('$1 = 0x1b\n');
    expect(s.gdb).toMatch(/cpl 3\n/);
  });

  it('stays stopped where the instruction budget ran out, steps back from there, and runs into it again', async () => {
    // gdb passes the SIGXCPU it was told of to the next step and continue: a step with a signal (S18).
    // The budget runs out inside a REP STOS: ECX tells the points of the run apart.
    const s = await debugLabWithGdb(['run', '--kernel', kernel, '--module', hello, '--max-instructions', '20000'], [
      'continue', 'print $pc', 'print $ecx', 'stepi', 'continue', 'print $pc', 'print $ecx',
      'reverse-stepi', 'print $ecx', 'stepi', 'print $ecx', 'stepi', 'print $pc', 'kill',
    ]);
    expect(s.gdb).not.toContain('while the target is running');
    const values = [...s.gdb.matchAll(/^\$\d+ = (.*)$/gm)].map((m) => m[1]);
    expect(values).toHaveLength(7);
    const [pc, ecx, pcAfter, ecxAfter, ecxBack, ecxForward, pcAgain] = values;
    expect(pc).toMatch(/^\(void \(\*\)\(\)\) 0x[0-9a-f]+ /);
    // The step and the continue after the end move nothing, and each says why.
    expect([pcAfter, ecxAfter]).toEqual([pc, ecx]);
    expect(s.gdb.match(/Program received signal SIGXCPU/g)).toHaveLength(4);
    expect(s.gdb.match(/lab PC: budget: instruction budget of 20000 exhausted/g)).toHaveLength(4);
    // One step back is the REP's start; forward again, the same end.
    expect(Number(ecxBack)).toBeGreaterThan(Number(ecx));
    expect(ecxForward).toBe(ecx);
    expect(pcAgain).toBe(pc);
    expect(s.labStatus).toBe(124);
  });
});

describe('gdb with the block compiler on and off', needs('gcc', 'bwrap', 'gdb'), () => {
  it('sees the same machine at every stop', async () => {
    // Lab 5: a spinner and a printer, preempted by the timer, so hot code runs among interrupts.
    const { kernel, programs } = await buildLab(5);
    const { readFileSync } = await import('node:fs');
    const session = [
      'break swtch', 'continue 12', 'info registers', 'x/8xw $esp', 'stepi 300', 'info registers', 'monitor regs',
      'delete', 'watch ticks', 'continue', 'continue', 'delete', 'continue', 'info registers',
    ];
    const transcripts: string[] = [];
    for (const compile of [true, false]) {
      // Threshold 1: code compiles the second time it runs, so under gdb the compiler is as busy as it can be.
      const machine = new Machine({
        kernel: readFileSync(kernel), modules: [{ name: 'spin-print', bytes: readFileSync(programs['spin-print']!), cmdline: 'spin-print' }],
        compile, compileThreshold: 1, maxInstructions: 50_000_000,
      });
      try {
        const { gdb, result } = await debugMachineWithGdb(machine, kernel, session);
        if (compile) expect(machine.cpu.blocks!.compiled).toBeGreaterThan(20);
        else expect(machine.cpu.blocks).toBeNull();
        transcripts.push(`${gdb.replace(/127\.0\.0\.1:\d+/g, 'PORT')}\n${result.reason} after ${result.instructions}`);
      } finally {
        machine.release();
      }
    }
    // The session got somewhere: the 12th switch, the timer's count changing, and the end of the run.
    expect(transcripts[0]).toMatch(/Breakpoint 1, .*swtch/);
    expect(transcripts[0]).toMatch(/Hardware watchpoint 2: ticks\s+Old value = \d+\s+New value = \d+/);
    expect(transcripts[0]).toMatch(/lab PC: /);
    expect(transcripts[0]).toBe(transcripts[1]);
  });
});

/** The stub on a machine booting lab 3's reference kernel, in this process, with what it sends and whether it closed. */
interface StubOnLab3 {
  machine: Machine;
  stub: GdbStub;
  sent: Buffer[];
  closed: () => boolean;
}

async function withStubOnLab3(use: (s: StubOnLab3) => void): Promise<void> {
  const built = await buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), 3));
  if (!built.ok) throw new Error(built.log);
  const machine = new Machine({ kernel: built.inputs.kernel, cmdline: '', modules: [], ramMiB: 32, maxInstructions: 5_000_000 });
  try {
    const sent: Buffer[] = [];
    let closed = false;
    const stub = new GdbStub(machine, { send: (b) => sent.push(Buffer.from(b)), close: () => { closed = true; }, defer: (fn) => fn() });
    use({ machine, stub, sent, closed: () => closed });
  } finally {
    machine.release();
  }
}

describe('the gdb stub against random and broken packets', needs('gcc', 'bwrap'), () => {
  it('answers or drops every one, and never throws into the engine', () => withStubOnLab3(({ stub, sent, closed }) => {
    // A fixed seed: the same packets on every run.
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const hexNumber = () => Math.floor(random() * 2 ** 32).toString(16);
    const heads = ['m', 'M', 'p', 'P', 'Z0,', 'z0,', 'Z2,', 'Z3,', 'qXfer:features:read:target.xml:', 'qRcmd,', 'qSupported', 'H', 'g', 'G', '?', 's', 'v', 'X', 'T'];
    for (let i = 0; i < 3000 && !closed(); i++) {
      const kind = random();
      let bytes: Buffer;
      if (kind < 0.3) {
        bytes = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      } else if (kind > 0.9) {
        // Steps forward and back among the noise (the random writes above make new histories on the way).
        bytes = framePacket(pick(['s', 'bs', 'bc']));
      } else {
        const body = `${pick(heads)}${hexNumber()},${hexNumber()}${random() < 0.5 ? `:${hexNumber()}` : ''}`;
        const packet = framePacket(body);
        // Some packets arrive cut short, or with a wrong checksum.
        bytes = kind < 0.5 ? packet.subarray(0, Math.floor(random() * packet.length)) : kind < 0.6 ? Buffer.concat([packet.subarray(0, -1), Buffer.from('0')]) : packet;
      }
      expect(() => stub.receive(bytes)).not.toThrow();
    }
    expect(sent.length).toBeGreaterThan(100);
    // Still answering: a fresh query after the noise gets its reply.
    sent.length = 0;
    stub.receive(Buffer.from('#00')); // ends any packet the noise left open
    stub.receive(framePacket('qAttached'));
    expect(Buffer.concat(sent).toString('latin1')).toContain('$1#31');
  }));

  it('steps and continues with a signal, which the machine drops, and from an address when one is named', () => withStubOnLab3(({ machine, stub, sent }) => {
    const say = (packet: string) => {
      sent.length = 0;
      stub.receive(framePacket(packet));
      return Buffer.concat(sent).toString('latin1');
    };
    const start = machine.cpu.eip >>> 0;
    expect(say('S18')).toContain('$S05#');
    const next = machine.cpu.eip >>> 0;
    expect(next).not.toBe(start);
    // Back to the start by address, with and without a signal: the same step again.
    expect(say(`s${start.toString(16)}`)).toContain('$S05#');
    expect(machine.cpu.eip >>> 0).toBe(next);
    expect(say(`S0b;${start.toString(16)}`)).toContain('$S05#');
    expect(machine.cpu.eip >>> 0).toBe(next);
    for (const bad of ['S', 'Sxy', 'S05;', 'S05;zz', 'C123', `s1${'0'.repeat(8)}`]) expect(say(bad), bad).toContain('$E01#');
    expect(machine.cpu.eip >>> 0).toBe(next);
  }));
});
