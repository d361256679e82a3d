// The engine against the host CPU: test/fixtures/alu-oracle runs every integer
// instruction family over edge operands and prints results and the flags the
// SDM defines. Built as a 32-bit Linux program it runs on the host's real CPU;
// built as a Multiboot kernel it runs on the engine. The outputs must be the
// same bytes. (alu-vs-qemu.test.ts shows the kernel build itself is faithful,
// and compares the engine with QEMU where the host cannot run 32-bit programs.)
import { assert, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/config.ts';
import { runHostProgram, whyNoHostCpu } from '../fixtures/guest/build-guest.ts';
import { buildOracleKernel, buildOracleProgram, describeDifferences, runOracleOnEngine } from '../fixtures/alu-oracle/oracle-builds.ts';
import { skipBecause } from '../host-tools.ts';

describe('ALU oracle: engine against the host CPU', skipBecause(await whyNoHostCpu()), () => {
  let hostOutput: string;
  let engine: { output: string; result: RunResult };

  beforeAll(async () => {
    const [program, kernel] = await Promise.all([buildOracleProgram(), buildOracleKernel()]);
    const host = await runHostProgram(program);
    if (host.status !== 0 || host.timedOut) {
      throw new Error(`${program}: the host build of the ALU oracle failed (status ${host.status}${host.timedOut ? ', timed out' : ''}): ${host.stderr.trim()}`);
    }
    hostOutput = host.serial.toString('latin1');
    engine = await runOracleOnEngine(kernel);
  });

  it('the oracle itself is sound: complete, and no table/loop mismatch inside it', () => {
    expect(hostOutput).not.toMatch(/^ORACLE ERROR/m);
    expect(hostOutput).toMatch(/^# end: \d+ cases\n$/m);
  });

  it('the kernel ends through debug-exit with code 0 (status 1)', () => {
    const tail = engine.output.split('\n').slice(-3).join('\n');
    expect(engine.result.reason, `${engine.result.message}; last output:\n${tail}`).toBe('debug-exit');
    expect(engine.result.exitStatus).toBe(1);
  });

  it('every result and every defined flag matches the host CPU, byte for byte', () => {
    const report = describeDifferences(hostOutput, 'the host CPU', engine.output, 'engine');
    if (report) assert.fail(report);
    expect(engine.output).toBe(hostOutput);
  });
});
