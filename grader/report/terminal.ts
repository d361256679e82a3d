// The terminal summary a student sees after `lab grade`, and the plain-text
// pieces (points, a test's reason and checks) the other writers reuse.

import { addressSpaceLine } from './address-space-view.ts';
import { scheduleLines } from './schedule-view.ts';
import type { CheckResult, GradeReport, TestResult } from '../model.ts';
import { csEip, hexByte, hexDigits } from '../../engine/hex.ts';

export interface TerminalOptions {
  /** ANSI colour; the CLI passes process.stdout.isTTY so pipes and CI logs stay plain. */
  color: boolean;
}

/** How many lines of compiler output the summary shows; the HTML report has the rest. */
const BUILD_LOG_LINES = 15;

/** The start of a build log as a summary shows it (controls made visible), and how many lines it leaves out. */
export function buildLogHead(log: string): { shown: string[]; more: number } {
  const lines = visibleText(log, { keepNewlines: true }).replace(/\n+$/, '').split('\n');
  return { shown: lines.slice(0, BUILD_LOG_LINES), more: Math.max(0, lines.length - BUILD_LOG_LINES) };
}

const ANSI = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m' };
type Style = keyof typeof ANSI;

/**
 * Make guest-controlled text safe to print: a kernel can write ESC sequences
 * (or a bare 0x9B, which some terminals take as CSI) to clear the student's
 * screen or fake a "PASS". Controls become visible \xNN escapes.
 */
export function visibleText(text: string, { keepNewlines = false } = {}): string {
  return escapeRefused(text, (code) => {
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    return !control || code === 0x09 || (keepNewlines && code === 0x0a);
  });
}

/** `text` with each character that `keep` turns down written as a visible \xNN escape of its code point. */
export function escapeRefused(text: string, keep: (codePoint: number) => boolean): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!; // a character of a string has a code point
    out += keep(code) ? ch : `\\x${hexByte(code)}`;
  }
  return out;
}

/** Points as people write them: 5, 2.5, 0.33 (partial credit can make thirds). */
export function formatPoints(points: number): string {
  return Number.isInteger(points) ? String(points) : String(Math.round(points * 100) / 100);
}

/** "icount 91422, 001b:08048123 (int 0x80)" */
export function formatWhere(where: NonNullable<CheckResult['where']>): string {
  const at = `icount ${where.icount}, ${csEip(where.cs, where.eip)}`;
  return where.instruction ? `${at} (${where.instruction})` : at;
}

/**
 * The reason and the failed checks of a test as plain text, for Gradescope's
 * per-test output and JUnit's failure body. Absent fields (a redacted hidden
 * test) are skipped, never printed as "undefined".
 */
export function testDetailsText(test: TestResult): string {
  const lines: string[] = [];
  if (test.reason) lines.push(visibleText(test.reason));
  const led = test.status === 'passed' ? [] : test.diagnosis?.events ?? [];
  if (led.length > 0) lines.push('what led to it:', ...led.map((e) => `  ${visibleText(e)}`));
  for (const check of test.checks ?? []) {
    const points = check.points === undefined ? '' : ` [${formatPoints(check.points)} pt]`;
    lines.push(`${check.passed ? 'ok  ' : 'FAIL'} ${visibleText(check.name)}${points}`);
    if (check.passed) continue;
    if (check.expected !== undefined) lines.push(`     expected: ${visibleText(check.expected)}`);
    if (check.observed !== undefined) lines.push(`     observed: ${visibleText(check.observed)}`);
    if (check.where) lines.push(`     where:    ${visibleText(formatWhere(check.where))}`);
  }
  const run = test.run;
  if (run && test.status !== 'passed' && run.message) lines.push(`run ended: ${run.end}: ${visibleText(run.message)}`);
  return lines.join('\n');
}

const MARKS: Record<TestResult['status'], { text: string; style: Style }> = {
  passed: { text: 'PASS', style: 'green' },
  failed: { text: 'FAIL', style: 'red' },
  error: { text: 'ERR ', style: 'yellow' },
};

export function formatTerminal(report: GradeReport, options: TerminalOptions): string {
  const paint = (style: Style, text: string) => (options.color ? `${ANSI[style]}${text}${ANSI.reset}` : text);
  const out: string[] = [];
  const lab = report.lab;
  out.push(paint('bold', `Lab ${lab.number}: ${visibleText(lab.title)} (${visibleText(lab.slug)})`));

  if (report.fatal) {
    out.push('', paint('red', paint('bold', 'GRADING COULD NOT RUN')), `  ${visibleText(report.fatal)}`);
  }
  if (report.buildLog !== undefined) {
    out.push('', paint('red', paint('bold', 'BUILD FAILED: the kernel did not compile, so no test ran')));
    const { shown, more } = buildLogHead(report.buildLog);
    for (const line of shown) out.push(`  | ${line}`);
    if (more > 0) out.push(paint('dim', `  | ... ${more} more lines in report.html`));
  }

  if (report.tests.length > 0) out.push('');
  // Align names so the points column reads down the page: "PASS   5/5  name".
  const pointsWidth = Math.max(0, ...report.tests.map((t) => pointsOf(t).length));
  for (const test of report.tests) {
    const mark = MARKS[test.status];
    const line = `${paint(mark.style, mark.text)} ${pointsOf(test).padStart(pointsWidth)}  ${visibleText(test.name)}`;
    out.push(test.status === 'passed' || !test.reason ? line : `${line}${paint('dim', ' - ')}${visibleText(test.reason)}`);
    // The replay first: it is what a student runs next; the address spaces are evidence beneath it.
    if (test.status !== 'passed' && test.replay) out.push(`${paint('dim', '     replay:')} ${visibleText(test.replay.test)}`);
    if (test.status !== 'passed') {
      for (const space of test.addressSpaces ?? []) out.push(`${paint('dim', '     ')}${addressSpaceLine(space)}`);
      for (const line of test.schedule ? scheduleLines(test.schedule) : []) out.push(`     ${line}`);
    }
  }

  const passed = report.tests.filter((t) => t.status === 'passed').length;
  // A run the grader could not finish has no score: its total would not count every test.
  const total = report.fatal ? 'Score: none, grading could not run' : `Score: ${formatPoints(report.score)}/${formatPoints(report.maxScore)}`;
  const all = passed === report.tests.length && !report.fatal && report.buildLog === undefined;
  out.push('', `${paint('bold', paint(all ? 'green' : 'red', total))}  (${passed} of ${report.tests.length} tests passed)`);
  if (report.selection) {
    const patterns = report.selection.patterns.map((p) => `--test ${visibleText(p)}`).join(' ');
    out.push(paint('yellow', `A selection (${patterns}): ${report.tests.length} of the lab's ${report.selection.of} tests ran, and the score counts only them.`));
  }
  return `${out.join('\n')}\n`;
}

function pointsOf(test: TestResult): string {
  return `${formatPoints(test.score)}/${formatPoints(test.maxScore)}`;
}
