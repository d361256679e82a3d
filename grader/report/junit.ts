// JUnit XML for CI systems (GitHub Actions test reporters, GitLab, Jenkins):
// one testsuite per lab, one testcase per test, in the common Ant/Surefire shape.

import type { GradeReport, TestResult } from '../model.ts';
import { escapeRefused, formatPoints, testDetailsText } from './terminal.ts';

/**
 * Text XML 1.0 can carry. Guest output is arbitrary latin1, and a NUL or ESC
 * in it would make the whole file unparsable (XML 1.0 section 2.2 allows only
 * tab, LF, CR and the ranges below), so those characters become a visible
 * "\xNN" instead of vanishing. DEL and the C1 controls are legal but
 * discouraged (section 2.2 note), and CI log viewers mangle them: same treatment.
 */
export function xmlSafeText(text: string): string {
  // Lone surrogates come out of for..of as single code units in D800-DFFF and are turned down here.
  return escapeRefused(text, (c) =>
    c === 0x9 || c === 0xa || c === 0xd ||
    (c >= 0x20 && c < 0x7f) || (c > 0x9f && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff));
}

function escapeText(text: string): string {
  return xmlSafeText(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also need quotes escaped, and whitespace as references: parsers fold raw newlines to spaces. */
function escapeAttr(text: string): string {
  return escapeText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => ` ${key}="${escapeAttr(String(value))}"`)
    .join('');
}

export function toJUnit(report: GradeReport): string {
  const failures = report.tests.filter((t) => t.status === 'failed').length;
  // A fatal grading problem counts as one error so CI marks the job red even with no tests.
  const errors = report.tests.filter((t) => t.status === 'error').length + (report.fatal ? 1 : 0);
  const suiteName = `lab${report.lab.number}-${report.lab.slug.replace(/^\d+-/, '')}`;
  const counts = { tests: report.tests.length, failures, errors, skipped: 0 };

  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: 'ringlab', ...counts })}>`);
  out.push(`  <testsuite${attrs({ name: suiteName, ...counts })}>`);
  // A run the grader could not finish has no score to give (see report.fatal).
  if (report.fatal === undefined) {
    out.push('    <properties>');
    out.push(`      <property${attrs({ name: 'score', value: formatPoints(report.score) })}/>`);
    out.push(`      <property${attrs({ name: 'max_score', value: formatPoints(report.maxScore) })}/>`);
    out.push('    </properties>');
  }
  for (const test of report.tests) out.push(...testcase(suiteName, test));
  const problems = [report.fatal ? `grading could not run: ${report.fatal}` : '', report.buildLog ?? ''].filter(Boolean);
  if (problems.length > 0) out.push(`    <system-err>${escapeText(problems.join('\n\n'))}</system-err>`);
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}

function testcase(suiteName: string, test: TestResult): string[] {
  const head = `    <testcase${attrs({ name: test.name, classname: `ringlab.${suiteName}` })}`;
  const body: string[] = [];
  if (test.status !== 'passed') {
    const tag = test.status === 'error' ? 'error' : 'failure';
    const type = test.run?.end ?? 'failed';
    const details = `${formatPoints(test.score)}/${formatPoints(test.maxScore)} points\n${testDetailsText(test)}`;
    body.push(`      <${tag}${attrs({ message: test.reason || `${tag}`, type })}>${escapeText(details)}</${tag}>`);
  }
  // Serial output only for tests students may see now; hidden output must not leak through CI logs.
  if (test.visibility === 'visible' && !test.hidden && test.serial) {
    body.push(`      <system-out>${escapeText(test.serial)}</system-out>`);
  }
  return body.length === 0 ? [`${head}/>`] : [`${head}>`, ...body, '    </testcase>'];
}
