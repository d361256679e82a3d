// The ALU oracle's kernel build under QEMU against its host build on the real
// CPU. This tests the oracle, not the engine: it shows that the Multiboot build
// (freestanding, no libc, COM1 output) prints exactly what the host program
// prints, so alu-vs-host.test.ts can blame any difference on the engine.
import { fileURLToPath } from 'node:url';
import { assert, beforeAll, describe, expect, it } from 'vitest';
import { buildHostProgram, buildKernel, hasQemu, runHostProgram, runQemu, type GuestRun } from '../fixtures/guest/build-guest.ts';

const ORACLE_DIR = fileURLToPath(new URL('../fixtures/alu-oracle/', import.meta.url));
const ORACLE_SOURCES = { host: `${ORACLE_DIR}host.c`, kernel: `${ORACLE_DIR}kernel.c`, oracle: `${ORACLE_DIR}oracle.c` };
/** The same -O level as alu-vs-host.test.ts, so both tests are about the same two binaries. */
const OPT_LEVEL = 2;
const SHOWN_DIFFERENCES = 20;

const hostIsX86Linux = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'ia32');
const qemu = hasQemu();
if (!qemu) {
  console.warn('alu-vs-qemu: skipped, qemu-system-i386 not found (install the Debian package qemu-system-x86)');
}

/** The first differing lines, numbered, host above QEMU; '' when the outputs are equal line by line. */
function describeDifferences(expected: string, actual: string): string {
  const want = expected.split('\n');
  const got = actual.split('\n');
  const shown: string[] = [];
  let differing = 0;
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    if (want[i] === got[i]) continue;
    differing++;
    if (shown.length < SHOWN_DIFFERENCES) {
      shown.push(`line ${i + 1}:\n  host:  ${want[i] ?? '(no line)'}\n  qemu:  ${got[i] ?? '(no line)'}`);
    }
  }
  if (differing === 0) return '';
  return `${differing} of ${want.length} lines differ between the host CPU and QEMU; the first ${shown.length}:\n${shown.join('\n')}`;
}

describe.skipIf(!qemu || !hostIsX86Linux)('ALU oracle: kernel build under QEMU against the host build', () => {
  let host: GuestRun;
  let guest: GuestRun;

  beforeAll(async () => {
    const [program, kernel] = await Promise.all([
      buildHostProgram([ORACLE_SOURCES.host, ORACLE_SOURCES.oracle], { includeDirs: [ORACLE_DIR], optLevel: OPT_LEVEL }),
      buildKernel([ORACLE_SOURCES.kernel, ORACLE_SOURCES.oracle], { optLevel: OPT_LEVEL }),
    ]);
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
    const report = describeDifferences(host.serial.toString('latin1'), guest.serial.toString('latin1'));
    if (report) assert.fail(report);
    expect(guest.serial.equals(host.serial)).toBe(true);
  });
});
