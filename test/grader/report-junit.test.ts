import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { toJUnit, xmlSafeText } from '../../grader/report/junit.ts';
import { buildErrorReport, CONTROL_BYTES, fatalReport, sampleReport, XSS } from '../fixtures/reports/sample-reports.ts';

/** Characters XML 1.0 forbids (section 2.2), plus the discouraged DEL/C1 range we also keep out. */
const NOT_XML_SAFE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]/;

interface Parsed {
  testsuites: {
    '@_tests': string;
    '@_failures': string;
    '@_errors': string;
    testsuite: {
      '@_name': string;
      '@_tests': string;
      '@_failures': string;
      '@_errors': string;
      properties: { property: { '@_name': string; '@_value': string }[] };
      testcase?: Record<string, unknown>[];
      'system-err'?: string;
    };
  };
}

function parse(xml: string): Parsed {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    // Numeric character references (&#10;) are plain XML, but this parser decodes them only with this switch.
    htmlEntities: true,
    isArray: (name) => name === 'testcase' || name === 'property',
  });
  return parser.parse(xml) as Parsed;
}

describe('JUnit XML', () => {
  it('parses back with the counts and one testcase per test', () => {
    const { testsuites } = parse(toJUnit(sampleReport()));
    expect([testsuites['@_tests'], testsuites['@_failures'], testsuites['@_errors']]).toEqual(['4', '2', '1']);
    const suite = testsuites.testsuite;
    expect(suite['@_name']).toBe('lab3-usermode');
    expect([suite['@_tests'], suite['@_failures'], suite['@_errors']]).toEqual(['4', '2', '1']);
    expect(suite.properties.property.map((p) => [p['@_name'], p['@_value']])).toEqual([['score', '9'], ['max_score', '26']]);
    const cases = suite.testcase!;
    expect(cases.map((c) => c['@_name'])).toEqual([
      'prints the banner', 'write reaches the serial port', 'divide error kills only the process', 'fork bomb is contained',
    ]);
    expect(cases.every((c) => c['@_classname'] === 'ringlab.lab3-usermode')).toBe(true);
    expect(cases.map((c) => ('failure' in c ? 'failure' : 'error' in c ? 'error' : 'ok'))).toEqual(['ok', 'failure', 'error', 'failure']);
  });

  it('gives each failure its reason as message and the checks as body, text intact after escaping', () => {
    const cases = parse(toJUnit(sampleReport())).testsuites.testsuite.testcase!;
    const failure = cases[1]!.failure as Record<string, string>;
    expect(failure['@_message']).toBe(`serial output does not contain 'hello from ring 3'; it ended with ${XSS}`);
    expect(failure['@_type']).toBe('debug-exit');
    expect(failure['#text']).toContain(`     observed: user> ${XSS}\n`);
    expect(failure['#text']).toMatch(/^4\/10 points\n/);
    const error = cases[2]!.error as Record<string, string>;
    expect(error['@_type']).toBe('triple-fault');
  });

  it('includes serial output for visible tests only', () => {
    const cases = parse(toJUnit(sampleReport())).testsuites.testsuite.testcase!;
    expect(cases[0]!['system-out']).toBe('ringlab kernel booting\nmemory: 32 MiB\n');
    expect(String(cases[1]!['system-out'])).toContain(`user> ${XSS}\n`);
    expect('system-out' in cases[2]!).toBe(false); // after_due_date
    expect('system-out' in cases[3]!).toBe(false); // hidden
    const report = sampleReport();
    report.tests[3]!.serial = 'hidden secret';
    expect(toJUnit(report)).not.toContain('hidden secret');
  });

  it('replaces characters XML 1.0 cannot carry with visible escapes', () => {
    const report = sampleReport();
    report.tests[1]!.reason = `bad\x00byte \x1b[1m \ud800 lone surrogate`;
    const xml = toJUnit(report);
    expect(xml).not.toMatch(NOT_XML_SAFE);
    const cases = parse(xml).testsuites.testsuite.testcase!;
    expect((cases[1]!.failure as Record<string, string>)['@_message']).toBe('bad\\x00byte \\x1B[1m \\xD800 lone surrogate');
    expect(String(cases[1]!['system-out'])).toContain('esc[\\x1B[31mred\\x1B[0m] nul[\\x00] bel[\\x07] ff[\\x0C] c1[\\x9B] del[\\x7F]');
    expect(xmlSafeText(CONTROL_BYTES)).not.toMatch(NOT_XML_SAFE);
  });

  it('keeps newlines and quotes in attributes through a parse', () => {
    const report = sampleReport();
    report.tests[1]!.reason = 'line one\nline "two"\ttab';
    const cases = parse(toJUnit(report)).testsuites.testsuite.testcase!;
    expect((cases[1]!.failure as Record<string, string>)['@_message']).toBe('line one\nline "two"\ttab');
  });

  it('reports a build log and a fatal problem on the suite, a fatal as an error', () => {
    const build = parse(toJUnit(buildErrorReport())).testsuites.testsuite;
    expect(build['system-err']).toMatch(/^labs\/kernel\/trap.c: In function/);
    expect(build['system-err']).toContain('<b>bold</b>');
    const fatal = parse(toJUnit(fatalReport())).testsuites;
    expect(fatal['@_errors']).toBe('1');
    expect(fatal.testsuite['system-err']).toBe('grading could not run: gcc: not found; install gcc-multilib (apt-get install gcc-multilib) or set CC');
  });

  it('is deterministic', () => {
    expect(toJUnit(sampleReport())).toBe(toJUnit(sampleReport()));
  });
});
