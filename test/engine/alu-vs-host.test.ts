// The engine against the host CPU: test/fixtures/alu-oracle runs every integer
// instruction family over edge operands and prints results and the flags the
// SDM defines. Built as a 32-bit Linux program it runs on the host's real CPU;
// built as a Multiboot kernel it runs on the engine. The outputs must be the
// same bytes. (alu-vs-qemu.test.ts shows the kernel build itself is faithful.)
import { readFile } from 'node:fs/promises';
import { assert, beforeAll, describe, expect, it } from 'vitest';
import { Machine } from '../../engine/machine.ts';
import type { RunResult } from '../../engine/config.ts';
import { runHostProgram } from '../fixtures/guest/build-guest.ts';
import { buildOracle, describeDifferences, hostIsX86Linux } from '../fixtures/alu-oracle/oracle-builds.ts';

/** The kernel needs about 27 million instructions at -O2; the margin is for compiler versions. */
const MAX_INSTRUCTIONS = 60_000_000;

describe.skipIf(!hostIsX86Linux)('ALU oracle: engine against the host CPU', () => {
  let hostOutput: string;
  let engineOutput: string;
  let engineResult: RunResult;

  beforeAll(async () => {
    const { program, kernel } = await buildOracle();

    const host = await runHostProgram(program);
    if (host.status !== 0 || host.timedOut) {
      throw new Error(`${program}: the host build of the ALU oracle failed (status ${host.status}${host.timedOut ? ', timed out' : ''}): ${host.stderr.trim()}`);
    }
    hostOutput = host.serial.toString('latin1');

    const chunks: Buffer[] = [];
    const machine = new Machine(
      { kernel: await readFile(kernel), kernelName: kernel, maxInstructions: MAX_INSTRUCTIONS },
      { onOutput: (chunk, source) => { if (source === 'com1') chunks.push(Buffer.from(chunk)); } },
    );
    engineResult = machine.run();
    engineOutput = Buffer.concat(chunks).toString('latin1');
  });

  it('the oracle itself is sound: complete, and no table/loop mismatch inside it', () => {
    expect(hostOutput).not.toMatch(/^ORACLE ERROR/m);
    expect(hostOutput).toMatch(/^# end: \d+ cases\n$/m);
  });

  it('the kernel ends through debug-exit with code 0 (status 1)', () => {
    const tail = engineOutput.split('\n').slice(-3).join('\n');
    expect(engineResult.reason, `${engineResult.message}; last output:\n${tail}`).toBe('debug-exit');
    expect(engineResult.exitStatus).toBe(1);
  });

  it('every result and every defined flag matches the host CPU, byte for byte', () => {
    const report = describeDifferences(hostOutput, engineOutput, 'engine');
    if (report) assert.fail(report);
    expect(engineOutput).toBe(hostOutput);
  });
});
