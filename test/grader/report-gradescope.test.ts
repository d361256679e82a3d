import { describe, expect, it } from 'vitest';
import { toGradescope } from '../../grader/report/gradescope.ts';
import { buildErrorReport, fatalReport, sampleReport, XSS } from '../fixtures/reports/sample-reports.ts';

// The fields Gradescope documents for results.json ("Autograder Specifications").
const TOP_LEVEL = ['score', 'execution_time', 'output', 'output_format', 'test_output_format', 'test_name_format',
  'visibility', 'stdout_visibility', 'extra_data', 'tests', 'leaderboard'];
const PER_TEST = ['score', 'max_score', 'status', 'name', 'name_format', 'number', 'output', 'output_format',
  'tags', 'visibility', 'extra_data'];
const VISIBILITIES = ['visible', 'hidden', 'after_due_date', 'after_published'];
const FORMATS = ['text', 'html', 'simple_format', 'md', 'ansi'];

/** Checks one results.json object against the documented schema; returns the problems found. */
function schemaProblems(results: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const expectType = (where: string, value: unknown, type: string) => {
    if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) problems.push(`${where}: not a ${type}`);
  };
  for (const key of Object.keys(results)) if (!TOP_LEVEL.includes(key)) problems.push(`unknown top-level field ${key}`);
  const tests = results.tests;
  if (!Array.isArray(tests)) return [...problems, 'tests: not an array'];
  // "score" is optional only when every test carries one.
  if (results.score === undefined && !tests.every((t) => t && typeof t.score === 'number')) problems.push('score missing');
  if (results.score !== undefined) expectType('score', results.score, 'number');
  if (results.execution_time !== undefined) expectType('execution_time', results.execution_time, 'number');
  if (results.output !== undefined) expectType('output', results.output, 'string');
  for (const key of ['output_format', 'test_output_format']) {
    if (results[key] !== undefined && !FORMATS.includes(results[key] as string)) problems.push(`${key}: bad format`);
  }
  for (const key of ['visibility', 'stdout_visibility']) {
    if (results[key] !== undefined && !VISIBILITIES.includes(results[key] as string)) problems.push(`${key}: bad visibility`);
  }
  tests.forEach((test: Record<string, unknown>, i) => {
    const at = `tests[${i}]`;
    for (const key of Object.keys(test)) if (!PER_TEST.includes(key)) problems.push(`${at}: unknown field ${key}`);
    if (test.score !== undefined) expectType(`${at}.score`, test.score, 'number');
    if (test.max_score !== undefined) expectType(`${at}.max_score`, test.max_score, 'number');
    if (test.status !== undefined && test.status !== 'passed' && test.status !== 'failed') problems.push(`${at}.status: ${String(test.status)}`);
    if (test.name !== undefined) expectType(`${at}.name`, test.name, 'string');
    if (test.number !== undefined) expectType(`${at}.number`, test.number, 'string');
    if (test.output !== undefined) expectType(`${at}.output`, test.output, 'string');
    if (test.output_format !== undefined && !FORMATS.includes(test.output_format as string)) problems.push(`${at}.output_format`);
    if (test.visibility !== undefined && !VISIBILITIES.includes(test.visibility as string)) problems.push(`${at}.visibility`);
    if (test.tags !== undefined && !(Array.isArray(test.tags) && test.tags.every((t) => typeof t === 'string'))) problems.push(`${at}.tags`);
  });
  return problems;
}

/** What Gradescope actually receives: the object after a JSON round trip. */
function asUploaded(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

describe('Gradescope results.json', () => {
  it('follows the documented schema for every kind of report', () => {
    for (const report of [sampleReport(), buildErrorReport(), fatalReport()]) {
      expect(schemaProblems(asUploaded(toGradescope(report)))).toEqual([]);
    }
    expect(schemaProblems(asUploaded(toGradescope(sampleReport(), { executionTime: 12 })))).toEqual([]);
  });

  it('the checker itself rejects wrong shapes', () => {
    const bad = asUploaded(toGradescope(sampleReport()));
    (bad.tests as Record<string, unknown>[])[0]!.status = 'error';
    (bad.tests as Record<string, unknown>[])[1]!.max_score = '10';
    bad.colour = 'red';
    expect(schemaProblems(bad)).toEqual(['unknown top-level field colour', 'tests[0].status: error', 'tests[1].max_score: not a number']);
  });

  it('carries scores, statuses, names and visibilities test by test', () => {
    const results = asUploaded(toGradescope(sampleReport()));
    expect(results.score).toBe(9);
    expect(results.visibility).toBe('visible');
    expect(results.stdout_visibility).toBe('hidden');
    const tests = results.tests as Record<string, unknown>[];
    expect(tests.map((t) => [t.name, t.score, t.max_score, t.status, t.visibility])).toEqual([
      ['prints the banner', 5, 5, 'passed', 'visible'],
      ['write reaches the serial port', 4, 10, 'failed', 'visible'],
      ['divide error kills only the process', 0, 5, 'failed', 'after_due_date'],
      ['fork bomb is contained', 0, 6, 'failed', 'hidden'],
    ]);
    expect(tests[2]!.tags).toEqual(['lab3', 'error']);
    expect(tests[3]!.tags).toEqual(['lab3', 'hidden']);
  });

  it('puts the reason and the failed checks in each test output, as plain text', () => {
    const tests = toGradescope(sampleReport()).tests;
    const failing = tests[1]!;
    expect(failing.output_format).toBe('text');
    expect(failing.output.split('\n')).toEqual([
      `serial output does not contain 'hello from ring 3'; it ended with ${XSS}`,
      'ok   run ends by debug-exit with code 0 [4 pt]',
      "FAIL serial output contains 'hello from ring 3' [6 pt]",
      "     expected: 'hello from ring 3'",
      `     observed: user> ${XSS}`,
      '     where:    icount 91422, 001b:08048123 (int 0x80)',
      'run ended: debug-exit: debug-exit with code 0',
    ]);
    // A redacted hidden test has no checks and no run message: nothing undefined leaks into the text.
    expect(tests[3]!.output).toBe('hidden test failed');
  });

  it('is deterministic: execution_time only when the caller gives it', () => {
    expect(JSON.stringify(toGradescope(sampleReport()))).toBe(JSON.stringify(toGradescope(sampleReport())));
    expect('execution_time' in toGradescope(sampleReport())).toBe(false);
    expect(toGradescope(sampleReport(), { executionTime: 42 }).execution_time).toBe(42);
  });

  it('says why there is no score when the build failed or grading could not run', () => {
    expect(toGradescope(buildErrorReport()).output).toMatch(/^Lab 3 \(03-usermode\): 0\/5\n\nBuild failed: .*\nlabs\/kernel\/trap.c: In function/);
    expect(toGradescope(fatalReport()).output).toContain('Grading could not run: gcc: not found');
  });

  it('quotes the compiler log as the terminal summary does: its first lines, then how many more', () => {
    const output = toGradescope(buildErrorReport()).output ?? '';
    expect(output).toContain('note: filler line 10');
    expect(output).not.toContain('note: filler line 11');
    expect(output.endsWith('\n... 19 more lines')).toBe(true);
  });
});
