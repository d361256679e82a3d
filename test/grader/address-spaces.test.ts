// The address spaces a failed test's report draws (issue 13): read from the
// engine's page walks at the end of the run, drawn as a 0-4 GiB bar and listed,
// and never shown for hidden tests.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { check, serialContains } from '../../grader/api/checks.ts';
import { defineTest } from '../../grader/api/spec.ts';
import { findLab } from '../../grader/course/labs.ts';
import { redactResult } from '../../grader/course/hidden.ts';
import { buildForTests } from '../../grader/grade.ts';
import { addressSpaceLine, addressSpaceView } from '../../grader/report/address-space-view.ts';
import { renderHtml } from '../../grader/report/html.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { failingTest, sampleReport } from '../fixtures/reports/sample-reports.ts';
import { needs } from '../host-tools.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('drawing an address space', () => {
  const [space] = failingTest().addressSpaces!;

  it('places each run on a 0-4 GiB bar, at least 2 units wide, coloured by rights', () => {
    const view = addressSpaceView(space!);
    expect(view.bars.map((b) => [b.x, b.width, b.kind])).toEqual([
      [20, 2, 'user-ro'], // 0x08048000 / 4 GiB * 640 = 20.04
      [480, 2, 'user-rw'],
      [480, 2, 'user-rw'],
      [480.2, 2, 'kernel-ro'], // 0xc0100000: 480.16
    ]);
    expect(view.rows[2]).toEqual({ range: 'c0000000-c00fffff', size: '1 MiB', rights: 'user, read-write', kind: 'user-rw' });
  });

  it('reads as one line in the terminal', () => {
    expect(addressSpaceLine(space!)).toBe(
      'memory (CR3 0020d000): 08048000+4KiB user ro | bffff000+4KiB user rw | c0000000+1MiB user rw | c0100000+16KiB kernel ro',
    );
  });

  it('is in the HTML report of a failed test, and gone from a hidden one', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('Page directory at physical 0020d000');
    expect(html.match(/<rect class="run /g)).toHaveLength(4);
    expect(redactResult(failingTest()).addressSpaces).toBeUndefined();
  });
});

describe("a failed test's address spaces, read from the machine", needs('gcc', 'bwrap'), () => {
  let inputs: TestInputs;
  beforeAll(async () => {
    const built = await buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), 3));
    if (!built.ok) throw new Error(built.log);
    inputs = built.inputs;
  });

  it("holds lab 3's directory: the kernel's RAM for ring 0 only, the program's pages for ring 3", () => {
    const failing = defineTest({ name: 'fails', points: 1, modules: [{ program: 'hello' }], checks: [check('never', () => false)] });
    const result = runTest(failing, inputs);
    const [space, ...others] = result.addressSpaces ?? [];
    expect(others).toEqual([]);
    expect(space!.runs.filter((r) => r.user).every((r) => r.linear >= 0x08000000 && r.linear + r.size <= 0x08400000)).toBe(true);
    expect(space!.runs.find((r) => r.linear === 0)).toMatchObject({ user: false, writable: true });
    expect(space!.runs.some((r) => r.user && r.linear === 0x08048000)).toBe(true);
  });

  it('is not kept for a test that passed', () => {
    const passing = defineTest({ name: 'passes', points: 1, modules: [{ program: 'hello' }], checks: [serialContains('hello')] });
    expect(runTest(passing, inputs).addressSpaces).toBeUndefined();
  });
});
