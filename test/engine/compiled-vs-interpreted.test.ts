// The block compiler must not change anything observable: for each kernel, a
// run with compiled blocks and a run on the interpreter alone give the same
// output, the same stop, the same instruction count and the same event stream
// (every interrupt, ring change and port access at the same instruction and
// the same modelled cycle count), and the same cycles in all and per ring and
// address space at the end. Two runs of either kind are the same run.
// Self-modifying code is also checked against QEMU, which executes current bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { EngineEvent } from '../../engine/events.ts';
import { buildKernel, hasQemu, runQemu } from '../fixtures/guest/build-guest.ts';
import { buildOracleKernel } from '../fixtures/alu-oracle/oracle-builds.ts';

const fixture = (path: string) => new URL(`../${path}`, import.meta.url).pathname;

interface Observed {
  output: string;
  reason: string;
  exitStatus?: number;
  instructions: number;
  events: string[];
  compiledBlocks: number;
  /** The cycle model's books at the end, JSON: total, per CPL, per CR3. */
  cycles: string;
}

function observe(kernel: Uint8Array, compile: boolean, inspect: (m: Machine) => void = () => {}): Observed {
  let output = '';
  const events: string[] = [];
  // A low threshold compiles even briefly hot code, so short fixtures exercise the compiler.
  const m = new Machine({ kernel, compile, compileThreshold: 20, maxInstructions: 400_000_000 }, {
    onOutput: (chunk) => { output += Buffer.from(chunk).toString('latin1'); },
  });
  m.subscribe((e: EngineEvent) => { if (e.type !== 'output') events.push(JSON.stringify(e)); });
  const r = m.run();
  inspect(m);
  const c = m.counters();
  return {
    output, reason: r.reason, exitStatus: r.exitStatus, instructions: r.instructions, events,
    compiledBlocks: m.cpu.blocks?.compiled ?? 0,
    cycles: JSON.stringify([c.cycles, c.cyclesPerCpl, [...c.cyclesPerCr3]]),
  };
}

function expectSameRun(kernelPath: string, inspectCompiled?: (m: Machine) => void): Observed {
  const kernel = readFileSync(kernelPath);
  const interpreted = observe(kernel, false);
  const compiled = observe(kernel, true, inspectCompiled);
  expect(compiled.compiledBlocks).toBeGreaterThan(0);
  expect(compiled.output).toBe(interpreted.output);
  expect(compiled.reason).toBe(interpreted.reason);
  expect(compiled.exitStatus).toBe(interpreted.exitStatus);
  expect(compiled.instructions).toBe(interpreted.instructions);
  expect(compiled.events.length).toBe(interpreted.events.length);
  expect(compiled.events).toEqual(interpreted.events);
  expect(compiled.cycles).toBe(interpreted.cycles);
  // Costs beyond one per instruction were charged (else the comparison above shows nothing).
  expect(JSON.parse(compiled.cycles)[0]).toBeGreaterThan(compiled.instructions);
  return compiled;
}

/** A kernel of test/fixtures/system on the sys library, run both ways to its debug-exit. */
async function sameSystemRun(source: string, defines: Record<string, number> = {}, inspectCompiled?: (m: Machine) => void): Promise<Observed> {
  const system = (f: string) => fixture(`fixtures/system/${f}`);
  const run = expectSameRun(await buildKernel([system('sys-entry.S'), system('sys.c'), system(source)], { defines }), inspectCompiled);
  expect(run.reason).toBe('debug-exit');
  return run;
}

describe('compiled blocks change nothing observable', () => {
  it('a stale TLB entry stays stale while new code is compiled, as it does with the compiler off and under tracing', async () => {
    const path = await buildKernel([fixture('fixtures/compiled-code/stale-tlb.c')]);
    const k = readFileSync(path);
    const run = expectSameRun(path);
    expect(run.output).toBe('stale A, after invlpg B\n');
    let traced = '';
    const m = new Machine({ kernel: k, traceInstructions: 16, maxInstructions: 10_000_000 }, { onOutput: (c) => { traced += Buffer.from(c).toString('latin1'); } });
    m.run();
    m.release();
    expect(traced).toBe(run.output);
  });

  it('self-modifying code: rewritten functions, a loop whose counter shares its code page, and a loop that rewrites itself', async () => {
    const k = await buildKernel([fixture('fixtures/compiled-code/self-modifying.c')]);
    const run = expectSameRun(k);
    expect(run.reason).toBe('debug-exit');
    // 2000 iterations each loading the immediate the one before wrote: the last loads 1999.
    expect(run.output).toContain('own immediate 000007cf\n');
    // A store into the next instruction of the same block: that instruction runs as rewritten, every time.
    expect(run.output).toContain('next instruction wrong 00000000\n');
    if (hasQemu()) {
      const q = await runQemu(k, {});
      expect(run.output).toBe(q.serial.toString('latin1'));
    }
  });

  it('breakpoints and the single step stop a hot, compiled loop where the interpreter stops it (debug.c)', async () => {
    const run = await sameSystemRun('debug.c');
    // The loop ran hot (compiled) three times before each of these stopped it on its first iteration, or its 57th.
    expect(run.output).toContain('case hot_loop_exec_bp@ring0\n  vec=01 #DB cs=0008 eip=at+a if=1 frame=top-c\n  dr6=ffff0ff1 dr7=00000401 rf=0 tf=0 ecx=000000c8\n');
    expect(run.output).toContain('case hot_loop_write_bp@ring0\n  vec=01 #DB cs=0008 eip=at+a if=1 frame=top-c\n  dr6=ffff0ff1 dr7=000d0401 rf=0 tf=0 ecx=00000039\n');
    expect(run.output.split('case hot_loop_step@ring0\n')[1]?.match(/#DB/g)?.length).toBe(8);
  });

  it('far CALLs through a call gate and far RETs back, from a hot loop (call-gates.c): the block ends at each, and the interpreter runs it', async () => {
    const run = await sameSystemRun('call-gates.c');
    // 30 calls into ring 0 from the loop, each returned from with RET 8: ESP is back at the top of the ring-3 stack.
    expect(run.output).toContain('case lcall_gate_hot_loop@ring3\n  done cs=001b eax=00000000\n');
    expect(run.output).toContain('eip=at+11 cs=001b params=11111111,22222222 esp=utop-8 ss=0023\n  caller esp=utop+0\n');
    expect(run.events.filter((e) => e.includes('"type":"far-call"')).length).toBe(32);
  });

  it('a loop polling the local APIC timer (apic.c): the load from the device register is interpreted, the code around it compiled', async () => {
    let devicePages: number[] = [];
    let stillCompiled: number[] = [];
    const run = await sameSystemRun('apic.c', { WAIT_LOOPS: 1000, ONE_SHOT_COUNT: 200_000 }, (m) => {
      const blocks = m.cpu.blocks!;
      devicePages = [...new Set(blocks.interpretedInstructions().map((phys) => phys >>> 12))];
      stillCompiled = devicePages.filter((page) => blocks.codePages[page] === 1);
    });
    expect(run.output).toContain('case one-shot timer\n');
    expect(devicePages.length).toBeGreaterThan(0);
    // Before, one device access set its whole page apart: none of these pages held compiled code.
    expect(stillCompiled).toEqual(devicePages);
  });

  for (const opt of [0, 2, 3] as const) {
    it(`a CPU-bound gcc -O${opt} kernel (loops, calls, memory, multiply/divide, strings)`, async () => {
      const k = await buildKernel([fixture('bench/kernels/cpu-bound.c'), fixture('bench/kernels/workload.c')], { optLevel: opt, defines: { WORKLOAD_ROUNDS: 1 } });
      expectSameRun(k);
    });
  }

  it('a kernel whose cases fault in ring 0 and ring 3, a jump to an unmapped page among them', async () => {
    const system = (f: string) => fixture(`fixtures/system/${f}`);
    const run = expectSameRun(await buildKernel(['sys-entry.S', 'sys.c', 'paging.c'].map(system)));
    expect(run.events.filter((e) => e.includes('"vector":14')).length).toBeGreaterThan(3);
  });

  it('the ALU oracle: every integer instruction family over edge operands', async () => {
    expectSameRun(await buildOracleKernel());
  });

  it('the same work with paging on and the PIT interrupting it 1000 times a second', async () => {
    const k = await buildKernel([fixture('bench/kernels/paging-timer.c'), fixture('bench/kernels/workload.c')], { defines: { WORKLOAD_ROUNDS: 1 } });
    const run = expectSameRun(k);
    // The timer really interrupted the compiled code: many IRQ 0 deliveries, each at the same instruction both ways.
    expect(run.events.filter((e) => e.includes('"kind":"external"')).length).toBeGreaterThan(20);
    // The same kernel again: the same cycle count at every event and at the end, whatever the host did meanwhile.
    const again = observe(readFileSync(k), true);
    expect(again.events).toEqual(run.events);
    expect(again.cycles).toBe(run.cycles);
  });
});
