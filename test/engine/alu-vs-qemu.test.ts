// The ALU oracle's kernel build under QEMU, against two others.
//
// Against its host build on the real CPU: this tests the oracle, not the
// engine. It shows that the Multiboot build (freestanding, no libc, COM1
// output) prints exactly what the host program prints, so alu-vs-host.test.ts
// can blame any difference on the engine.
//
// Against the engine: QEMU is the outside oracle on hosts that cannot run
// 32-bit Linux programs (x86-64 kernels without IA32 emulation, as in some
// VMs), where alu-vs-host.test.ts has no host CPU to ask. Where both run, the
// two comparisons above imply this one, and it costs one more engine run.
import { assert, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/config.ts';
import { runHostProgram, runQemu, whyNoHostCpu, type GuestRun } from '../fixtures/guest/build-guest.ts';
import { buildOracleKernel, buildOracleProgram, describeDifferences, runOracleOnEngine } from '../fixtures/alu-oracle/oracle-builds.ts';
import { missing, needs, skipBecause } from '../host-tools.ts';

/** One QEMU boot of the oracle's kernel build, shared by both comparisons. */
let qemuRun: Promise<GuestRun> | undefined;
function oracleUnderQemu(): Promise<GuestRun> {
  qemuRun ??= buildOracleKernel().then((kernel) => runQemu(kernel, { timeoutMs: 60_000 }));
  return qemuRun;
}

function expectQemuRanToTheEnd(guest: GuestRun): void {
  expect(guest.timedOut, 'QEMU timed out').toBe(false);
  expect(guest.status, guest.stderr).toBe(1);
  expect(guest.serial.toString('latin1')).toMatch(/^# end: \d+ cases\n$/m);
}

describe('ALU oracle: kernel build under QEMU against the host build', skipBecause(missing('qemu') ?? (await whyNoHostCpu())), () => {
  let host: GuestRun;
  let guest: GuestRun;

  beforeAll(async () => {
    [host, guest] = await Promise.all([buildOracleProgram().then((program) => runHostProgram(program)), oracleUnderQemu()]);
  });

  it('both builds run to the end: host status 0, QEMU debug-exit code 0 (status 1)', () => {
    expect(host.timedOut, 'the host program timed out').toBe(false);
    expect(host.status, host.stderr).toBe(0);
    expect(host.serial.toString('latin1')).toMatch(/^# end: \d+ cases\n$/m);
    expectQemuRanToTheEnd(guest);
  });

  it('QEMU prints the same bytes as the host CPU', () => {
    const report = describeDifferences(host.serial.toString('latin1'), 'the host CPU', guest.serial.toString('latin1'), 'QEMU');
    if (report) assert.fail(report);
    expect(guest.serial.equals(host.serial)).toBe(true);
  });
});

describe('ALU oracle: engine against QEMU', needs('qemu'), () => {
  let guest: GuestRun;
  let engine: { output: string; result: RunResult };

  beforeAll(async () => {
    guest = await oracleUnderQemu();
    engine = await runOracleOnEngine(await buildOracleKernel());
  });

  it('both run to the end through debug-exit with code 0 (status 1), with no table/loop mismatch inside the oracle', () => {
    expectQemuRanToTheEnd(guest);
    expect(guest.serial.toString('latin1')).not.toMatch(/^ORACLE ERROR/m);
    expect(engine.result.reason, engine.result.message).toBe('debug-exit');
    expect(engine.result.exitStatus).toBe(1);
  });

  it('every result and every defined flag matches QEMU, byte for byte', () => {
    const report = describeDifferences(guest.serial.toString('latin1'), 'QEMU', engine.output, 'engine');
    if (report) assert.fail(report);
    expect(engine.output).toBe(guest.serial.toString('latin1'));
  });
});
