// The diagnosis in the reports: the HTML shows it above the checks with the
// events that led to it beside it, the plain-text details list those events,
// and a passing test shows nothing about a failure.
import { describe, expect, it } from 'vitest';
import { renderHtml, reportView } from '../../grader/report/html.ts';
import { formatTerminal, testDetailsText } from '../../grader/report/terminal.ts';
import type { GradeReport } from '../../grader/model.ts';
import { allPassingReport, sampleReport, XSS } from '../fixtures/reports/sample-reports.ts';

const HEADLINE = 'the kernel took #PF page fault in ring 0 at 0008:001024d0, CR2 0x07fffff8: page directory entry 31 is not present';
const EVENTS = [
  '[      27094] software INT 128 ring 3 -> ring 0 from 001b:08048103 to 0008:00100ce2 via interrupt gate',
  `[      27210] com1 output "panic: ${XSS}"`,
];

function diagnosedReport(): GradeReport {
  const report = sampleReport();
  const failed = report.tests[1]!;
  failed.reason = HEADLINE;
  failed.diagnosis = { headline: HEADLINE, events: EVENTS, where: { icount: 27146, cs: 8, eip: 0x001024d0, instruction: 'movsbl (%ebx),%eax' } };
  return report;
}

describe('the diagnosis in the reports', () => {
  it('HTML: the headline and the events that led to it come before the checks', () => {
    const html = renderHtml(diagnosedReport());
    const section = html.slice(html.indexOf('id="test-2"'), html.indexOf('id="test-3"'));
    const diagnosis = section.indexOf('<div class="diagnosis">');
    expect(diagnosis).toBeGreaterThan(0);
    expect(diagnosis).toBeLessThan(section.indexOf('<h3>Checks</h3>'));
    expect(section).toContain(`<p class="reason">${HEADLINE}</p>`);
    expect(section).toContain('at <code>icount 27146, 0008:001024d0 (movsbl (%ebx),%eax)</code>');
    expect(section).toContain('<h3>What led to it</h3>');
    expect(section).toContain('software INT 128 ring 3 -&gt; ring 0 from 001b:08048103');
    // Guest output among the events is escaped like every other guest byte.
    expect(section).not.toContain('<script');
    expect(section).toContain('panic: &lt;script&gt;');
    // The headline is said once: no second reason paragraph.
    expect(section.split('class="reason"').length - 1).toBe(1);
  });

  it('HTML: a passing test has no failure section and no diagnosis, even if handed one', () => {
    const report = allPassingReport();
    report.tests[0]!.timeline = ['[        100] LGDT base=00001000 limit=002f'];
    report.tests[0]!.diagnosis = { headline: 'stale', events: ['stale'] };
    const html = renderHtml(report);
    const section = html.slice(html.indexOf('id="test-1"'));
    expect(section).not.toMatch(/failure|failed|Why it failed|class="reason"|stale/i);
    expect(html).toContain('<summary>Last events of the run</summary>');
    expect(reportView(report).tests[0]!.diagnosis).toBeUndefined();
  });

  it('plain text (Gradescope, JUnit): the events under the headline, for failed tests only', () => {
    const report = diagnosedReport();
    const text = testDetailsText(report.tests[1]!);
    expect(text.split('\n').slice(0, 4)).toEqual([HEADLINE, 'what led to it:', `  ${EVENTS[0]}`, `  ${EVENTS[1]}`]);
    const passed = { ...report.tests[0]!, diagnosis: { headline: 'stale', events: ['stale'] } };
    expect(testDetailsText(passed)).not.toContain('stale');
  });

  it('terminal: the headline is the failed test\'s one line, a passing test gets none', () => {
    const lines = formatTerminal(diagnosedReport(), { color: false }).split('\n');
    expect(lines.find((l) => l.includes('write reaches the serial port'))).toBe(`FAIL 4/10  write reaches the serial port - ${HEADLINE}`);
    expect(lines).toContain('PASS  5/5  prints the banner');
  });
});
