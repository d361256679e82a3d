// The replay commands in the reports: printed for a failed test in the
// terminal summary and the HTML, never for a passed one, and gone from a
// hidden test a student sees (redactResult keeps only name, score and status).
import { describe, expect, it } from 'vitest';
import { redact } from '../../grader/course/hidden.ts';
import type { GradeReport, Replay } from '../../grader/model.ts';
import { renderHtml, reportView } from '../../grader/report/html.ts';
import { formatTerminal } from '../../grader/report/terminal.ts';
import { shellWord } from '../../grader/run/replay.ts';
import { failingTest, passingTest } from '../fixtures/reports/sample-reports.ts';

const REPLAY: Replay = {
  test: "lab run 1 --test 'syscall.test.ts#write'",
  run: "lab run --kernel build/k.elf --module 'build/programs/hello.elf a b' --ram 32 --max-instructions 1000 --max-output 65536",
  qemu: 'qemu-system-i386 -kernel build/k.elf -initrd \'build/programs/hello.elf a b\' -m 32 -serial stdio -display none',
};

function report(hidden: boolean): GradeReport {
  const failed = { ...failingTest(), hidden, replay: REPLAY };
  // A passed test never gets a replay from the grader; a stray one is not shown either.
  const passed = { ...passingTest(), replay: { test: 'lab run 1 --test boot' } };
  return { lab: { number: 1, slug: '01-boot', title: 'Booting' }, score: 9, maxScore: 15, tests: [passed, failed], revealed: true };
}

describe('replay commands in the reports', () => {
  it('the terminal prints the command under the failed test only', () => {
    const lines = formatTerminal(report(false), { color: false }).split('\n');
    const failed = lines.findIndex((l) => l.startsWith('FAIL'));
    expect(lines[failed + 1]).toBe(`     replay: ${REPLAY.test}`);
    expect(lines.filter((l) => l.includes('replay:'))).toHaveLength(1);
  });

  it('the HTML shows all three commands for the failed test, escaped, and none for the passed one', () => {
    const view = reportView(report(false));
    expect(view.tests.map((t) => t.replay)).toEqual([undefined, REPLAY]);
    const html = renderHtml(report(false));
    expect(html.split('class="replay"')).toHaveLength(2);
    expect(html).toContain(`<pre>lab run 1 --test &#x27;syscall.test.ts#write&#x27;</pre>`);
    expect(html).toContain('--max-instructions 1000 --max-output 65536</pre>');
    expect(html).toContain('<pre>qemu-system-i386 -kernel build/k.elf');
  });

  it('a hidden test a student sees has no replay; with --reveal it keeps it', () => {
    const shown = redact(report(true), { reveal: false });
    expect(shown.tests[1]!.replay).toBeUndefined();
    expect(formatTerminal(shown, { color: false })).not.toContain('replay:');
    expect(renderHtml(shown)).not.toContain('class="replay"');
    expect(redact(report(true), { reveal: true }).tests[1]!.replay).toEqual(REPLAY);
  });

  it('quotes a shell word only when it must, and quotes a quote', () => {
    expect(shellWord('faults/cli')).toBe('faults/cli');
    expect(shellWord('build/lab-03/k/kernel.elf')).toBe('build/lab-03/k/kernel.elf');
    expect(shellWord('a  b')).toBe("'a  b'");
    expect(shellWord("it's $HOME")).toBe("'it'\\''s $HOME'");
    expect(shellWord('')).toBe("''");
  });
});
