// The ALU oracle's kernel build under QEMU against its host build on the real
// CPU. This tests the oracle, not the engine: it shows that the Multiboot build
// (freestanding, no libc, COM1 output) prints exactly what the host program
// prints, so alu-vs-host.test.ts can blame any difference on the engine.
import { assert, beforeAll, describe, expect, it } from 'vitest';
import { hasQemu, runHostProgram, runQemu, type GuestRun } from '../fixtures/guest/build-guest.ts';
import { buildOracle, describeDifferences, hostIsX86Linux } from '../fixtures/alu-oracle/oracle-builds.ts';

const qemu = hasQemu();
if (!qemu) {
  console.warn('alu-vs-qemu: skipped, qemu-system-i386 not found (install the Debian package qemu-system-x86)');
}

describe.skipIf(!qemu || !hostIsX86Linux)('ALU oracle: kernel build under QEMU against the host build', () => {
  let host: GuestRun;
  let guest: GuestRun;

  beforeAll(async () => {
    const { program, kernel } = await buildOracle();
    [host, guest] = await Promise.all([runHostProgram(program), runQemu(kernel, { timeoutMs: 60_000 })]);
  });

  it('both builds run to the end: host status 0, QEMU debug-exit code 0 (status 1)', () => {
    expect(host.timedOut, 'the host program timed out').toBe(false);
    expect(host.status, host.stderr).toBe(0);
    expect(guest.timedOut, 'QEMU timed out').toBe(false);
    expect(guest.status, guest.stderr).toBe(1);
    expect(host.serial.toString('latin1')).toMatch(/^# end: \d+ cases\n$/m);
  });

  it('QEMU prints the same bytes as the host CPU', () => {
    const report = describeDifferences(host.serial.toString('latin1'), guest.serial.toString('latin1'), 'QEMU');
    if (report) assert.fail(report);
    expect(guest.serial.equals(host.serial)).toBe(true);
  });
});
