import { describe, expect, it } from 'vitest';
import { formatTerminal, visibleText } from '../../grader/report/terminal.ts';
import { allPassingReport, buildErrorReport, fatalReport, sampleReport } from '../fixtures/reports/sample-reports.ts';

const ESC = '\x1b';

describe('terminal summary', () => {
  it('prints one line per test with mark, points, name and the reason of failures', () => {
    const lines = formatTerminal(sampleReport(), { color: false }).split('\n');
    expect(lines).toContain('PASS  5/5  prints the banner');
    expect(lines.find((l) => l.includes('write reaches the serial port'))).toMatch(
      /^FAIL 4\/10  write reaches the serial port - serial output does not contain 'hello from ring 3'/,
    );
    expect(lines.find((l) => l.includes('divide error'))).toMatch(/^ERR {3}0\/5 {2}divide error kills only the process - the machine triple-faulted/);
    expect(lines).toContain('Score: 9/26  (1 of 4 tests passed)');
  });

  it('does not append a reason to a passing test', () => {
    const out = formatTerminal(allPassingReport(), { color: false });
    expect(out).toBe('Lab 1: Booting (01-boot)\n\nPASS 5/5  prints the banner\n\nScore: 5/5  (1 of 1 tests passed)\n');
  });

  it('has no escape sequences without color, and colors marks and totals with it', () => {
    expect(formatTerminal(sampleReport(), { color: false })).not.toContain(ESC);
    const colored = formatTerminal(sampleReport(), { color: true });
    expect(colored).toContain(`${ESC}[32mPASS${ESC}[0m`);
    expect(colored).toContain(`${ESC}[31mFAIL${ESC}[0m`);
    expect(colored).toContain(`${ESC}[33mERR ${ESC}[0m`);
    expect(colored).toMatch(/\x1b\[31mScore: 9\/26/);
    // Stripping the colour gives back exactly the plain text.
    expect(colored.replace(/\x1b\[\d+m/g, '')).toBe(formatTerminal(sampleReport(), { color: false }));
  });

  it('never passes guest control bytes through to the terminal', () => {
    const report = sampleReport();
    report.tests[1]!.reason = `observed ${ESC}[2J${ESC}[HPASS 10/10 \x9b2J bell\x07`;
    const out = formatTerminal(report, { color: false });
    expect(out).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(out).toContain('observed \\x1B[2J\\x1B[HPASS 10/10 \\x9B2J bell\\x07');
  });

  it('shows a build error prominently with the first lines of the compiler log', () => {
    const out = formatTerminal(buildErrorReport(), { color: false });
    const lines = out.split('\n');
    const banner = lines.indexOf('BUILD FAILED: the kernel did not compile, so no test ran');
    expect(banner).toBe(2);
    expect(lines[banner + 2]).toBe("  | labs/kernel/trap.c:42:5: error: 'tf' undeclared (first use in this function)");
    expect(out).toContain('note: filler line 10');
    expect(out).not.toContain('note: filler line 11');
    expect(out).toContain('... 19 more lines in report.html');
    expect(out).toContain('Score: 0/5');
  });

  it('shows a fatal problem before anything else', () => {
    const out = formatTerminal(fatalReport(), { color: false });
    expect(out.split('\n').slice(2, 4)).toEqual([
      'GRADING COULD NOT RUN',
      '  gcc: not found; install gcc-multilib (apt-get install gcc-multilib) or set CC',
    ]);
  });

  it('writes partial credit as people do', () => {
    const report = allPassingReport();
    report.tests[0]!.score = 2.5;
    report.tests[0]!.maxScore = 10 / 3;
    report.score = 2.5;
    expect(formatTerminal(report, { color: false })).toContain('PASS 2.5/3.33  prints the banner');
  });

  it('visibleText keeps tabs and, on request, newlines', () => {
    expect(visibleText('a\tb\nc')).toBe('a\tb\\x0Ac');
    expect(visibleText('a\tb\nc', { keepNewlines: true })).toBe('a\tb\nc');
  });
});
