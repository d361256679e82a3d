// A released machine's RAM, TLB, registers and code-cache tables go to the next machine
// made on the same thread (engine/memory/spares.ts), and only the pages it
// wrote are zeroed. If any way of writing RAM escaped the record of written
// pages, the next test would boot with another test's bytes in memory and its
// result would depend on which tests ran before it on that thread.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CPU } from '../../engine/cpu/cpu.ts';
import { BlockCache } from '../../engine/cpu/compile/block-cache.ts';
import { NO_BLOCK } from '../../engine/cpu/compile/block-compiler.ts';
import { PortBus } from '../../engine/devices/ports.ts';
import { Machine } from '../../engine/machine.ts';
import { giveRam, takeRam } from '../../engine/memory/spares.ts';
import { Tlb } from '../../engine/memory/tlb.ts';
import { buildOracleKernel } from '../fixtures/alu-oracle/oracle-builds.ts';
import { buildKernel, hasQemu, runQemu } from '../fixtures/guest/build-guest.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(HERE, '../fixtures');
const SYSTEM = ['sys-entry.S', 'sys.c'].map((f) => path.join(FIXTURES, 'system', f));
const RAM_MIB = 32;

/** Kernels that write memory every way the engine can: loads, stores, string instructions, page walks, self-modifying code. */
const KERNELS: Record<string, () => Promise<string>> = {
  'stores, string instructions, patched code and page tables far above the kernel': () => buildKernel([path.join(FIXTURES, 'memory/writes-everywhere.c')]),
  'self-modifying code': () => buildKernel([path.join(FIXTURES, 'compiled-code/self-modifying.c')]),
  'gcc -O2 work with REP MOVS/STOS': () => buildKernel([path.join(HERE, '../bench/kernels/cpu-bound.c'), path.join(HERE, '../bench/kernels/workload.c')], { optLevel: 2, defines: { WORKLOAD_ROUNDS: 1 } }),
  'paging and a 1 kHz timer': () => buildKernel([path.join(HERE, '../bench/kernels/paging-timer.c'), path.join(HERE, '../bench/kernels/workload.c')], { defines: { WORKLOAD_ROUNDS: 1 } }),
  'page tables, A/D bits, #PF': () => buildKernel([...SYSTEM, path.join(FIXTURES, 'system/paging.c')]),
  'ring 3 and system calls': () => buildKernel([...SYSTEM, path.join(FIXTURES, 'system/fast-syscalls.c')]),
  'the ALU oracle': buildOracleKernel,
};

interface Observed {
  output: string;
  reason: string;
  instructions: number;
  registers: string;
}

function runAndRelease(kernel: Uint8Array, compileThreshold?: number): Observed {
  let output = '';
  const m = new Machine({ kernel, ramMiB: RAM_MIB, maxInstructions: 400_000_000, ...(compileThreshold ? { compileThreshold } : {}) }, {
    onOutput: (chunk) => { output += Buffer.from(chunk).toString('latin1'); },
  });
  const r = m.run();
  const observed = { output, reason: r.reason, instructions: r.instructions, registers: JSON.stringify(m.registers()) };
  m.release();
  return observed;
}

/** The first nonzero byte of the RAM the next machine would get, or -1. */
function firstDirtyByteOfSpareRam(): number {
  const ram = takeRam(RAM_MIB << 20);
  const words = new Int32Array(ram.bytes.buffer);
  const i = words.findIndex((w) => w !== 0);
  giveRam(ram);
  return i < 0 ? -1 : i * 4;
}

describe('a released machine leaves nothing behind for the next one', () => {
  for (const [name, build] of Object.entries(KERNELS)) {
    it(`RAM is all zeros again after ${name}`, async () => {
      const kernel = readFileSync(await build());
      // A low threshold compiles code early, so compiled stores and code-page invalidation run too.
      const run = runAndRelease(kernel, 20);
      expect(run.instructions).toBeGreaterThan(10_000);
      const dirty = firstDirtyByteOfSpareRam();
      expect(dirty, `byte 0x${dirty.toString(16)} of the released RAM is not zero`).toBe(-1);
    });
  }

  it('the kernel that writes everywhere reads back what QEMU reads back', async () => {
    const kernel = await KERNELS['stores, string instructions, patched code and page tables far above the kernel']!();
    const run = runAndRelease(readFileSync(kernel), 20);
    expect(run.output).toMatch(/^checksum [0-9a-f]{8}\n$/);
    if (hasQemu()) expect(run.output).toBe((await runQemu(kernel, {})).serial.toString('latin1'));
  });

  it('the TLB and the code cache tables are empty again', async () => {
    runAndRelease(readFileSync(await KERNELS['page tables, A/D bits, #PF']!()));
    const tlb = Tlb.take();
    expect(tlb.entries.every((e) => e === 0)).toBe(true);
    tlb.release();
    const blocks = new BlockCache(new CPU(new Uint8Array(1 << 20), new PortBus()));
    expect(blocks.cache.every((b) => b === NO_BLOCK)).toBe(true);
    blocks.release();
  });

  it('the registers and segment arrays are zeros again', async () => {
    runAndRelease(readFileSync(await KERNELS['ring 3 and system calls']!()));
    const cpu = new CPU(new Uint8Array(1 << 20), new PortBus());
    expect([...cpu.r32, ...cpu.segBase, ...cpu.segNeedsCheck].every((v) => v === 0)).toBe(true);
    cpu.releaseRegisters();
  });

  // Compiled blocks are bound to the arrays of the machine they were compiled for (block-compiler.ts):
  // a machine with other arrays must get functions of its own, never another machine's.
  it('two machines alive at once each run on their own registers and memory', async () => {
    const kernel = readFileSync(await KERNELS['gcc -O2 work with REP MOVS/STOS']!());
    const first = runAndRelease(kernel, 20);
    const observe = (m: Machine, output: () => string): Observed => {
      const r = m.run();
      return { output: output(), reason: r.reason, instructions: r.instructions, registers: JSON.stringify(m.registers()) };
    };
    const machines = [0, 1].map(() => {
      let output = '';
      const m = new Machine({ kernel, ramMiB: RAM_MIB, maxInstructions: 400_000_000, compileThreshold: 20 }, {
        onOutput: (chunk) => { output += Buffer.from(chunk).toString('latin1'); },
      });
      return { m, output: () => output };
    });
    // The second machine made has new arrays; it runs first, while the first, which took the released ones, waits.
    try {
      for (const { m, output } of machines.reverse()) expect(observe(m, output)).toEqual(first);
    } finally {
      for (const { m } of machines) m.release();
    }
  });

  it('a kernel runs the same whatever ran on the thread before it', async () => {
    const a = readFileSync(await KERNELS['ring 3 and system calls']!());
    const b = readFileSync(await KERNELS['gcc -O2 work with REP MOVS/STOS']!());
    const first = runAndRelease(a);
    runAndRelease(b);
    expect(runAndRelease(a)).toEqual(first);
    // Without the compiler, and so without any code shared between machines, it is the same run too.
    const interpreted = new Machine({ kernel: a, ramMiB: RAM_MIB, compile: false, maxInstructions: 400_000_000 });
    const r = interpreted.run();
    expect(r.instructions).toBe(first.instructions);
    expect(JSON.stringify(interpreted.registers())).toBe(first.registers);
  });
});

describe('the TLB', () => {
  it('still empties on a flush after more fills than it can list', () => {
    const tlb = new Tlb();
    // INVLPG and a refill, over and over: each refill lists the page again.
    for (let i = 0; i < (1 << 20) + 10; i++) {
      tlb.fill(0x5000, 0x5000, 0);
      tlb.invalidate(0x5000);
    }
    tlb.fill(0x9000, 0x9000, 0);
    tlb.flush(false);
    expect(tlb.entries[0x9]).toBe(0);
  });
});

describe('a released machine', () => {
  it('refuses every inspection with one clear error instead of reading the next machine\'s memory', async () => {
    const kernel = readFileSync(await KERNELS['ring 3 and system calls']!());
    const released = new Machine({ kernel, ramMiB: RAM_MIB, maxInstructions: 400_000_000 });
    released.run();
    released.release();
    // The next machine takes the released one's RAM.
    const next = new Machine({ kernel, ramMiB: RAM_MIB, maxInstructions: 400_000_000 });
    try {
      const inspections: Record<string, () => unknown> = {
        registers: () => released.registers(),
        screen: () => released.screen(),
        peekLinear: () => released.peekLinear(0x100000, 4),
        readPhysical: () => released.readPhysical(0x100000, 4),
        gdt: () => released.gdt(),
        idt: () => released.idt(),
        tss: () => released.tss(),
        explainAccess: () => released.explainAccess(0x100000, { cpl: 0, access: 'read' }),
        counters: () => released.counters(),
        recentInstructions: () => released.recentInstructions(),
        where: () => released.where(),
        cpu: () => released.cpu,
        ram: () => released.ram,
        run: () => released.run(),
        subscribe: () => released.subscribe(() => {}),
      };
      for (const [name, inspect] of Object.entries(inspections)) {
        expect(inspect, name).toThrow(/^this machine was released and its memory given to the next machine/);
      }
    } finally {
      next.release();
    }
  });
});

describe('a machine dropped without release()', () => {
  it('is collected: the compiled blocks bound to its arrays keep none of them alive', async () => {
    const kernel = await KERNELS['gcc -O2 work with REP MOVS/STOS']!();
    const script = path.join(FIXTURES, 'engine/dropped-machine.mts');
    // From the repository, where --import finds tsx.
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, kernel], { cwd: path.join(HERE, '../..'), encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout.trim().split('\n').pop()!) as { compiled: number; ramCollected: boolean };
    expect(seen.compiled).toBeGreaterThan(10);
    expect(seen.ramCollected).toBe(true);
  });
});

describe('a test machine and the replay its diagnosis makes beside it', () => {
  it('the next machine gets the test machine\'s arrays back, and with them its compiled blocks', async () => {
    const kernel = readFileSync(await KERNELS['gcc -O2 work with REP MOVS/STOS']!());
    const config = { kernel, ramMiB: RAM_MIB, maxInstructions: 400_000_000 };
    const test = new Machine(config);
    test.run();
    const arrays = [test.cpu.ram, test.cpu.tlbEntries, test.cpu.r32];
    const block = test.cpu.blocks!.cache.find((b) => b.length > 0)!;
    // The replay lives beside it, and is released first (Machine.recentInstructionsText).
    const replay = new Machine(config);
    replay.run();
    replay.release();
    test.release();
    const next = new Machine(config);
    next.run();
    expect([next.cpu.ram, next.cpu.tlbEntries, next.cpu.r32].every((a, i) => a === arrays[i])).toBe(true);
    const again = next.cpu.blocks!.cache.find((b) => b.phys === block.phys && b.eip === block.eip);
    // The same function object: V8's optimized code for it carries over, nothing is compiled again.
    expect(again?.run).toBe(block.run);
    next.release();
  });
});
