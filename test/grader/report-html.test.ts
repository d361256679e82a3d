import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml, reportView } from '../../grader/report/html.ts';
import { writeReports } from '../../grader/report/write-reports.ts';
import { buildErrorReport, fatalReport, sampleReport, XSS } from '../fixtures/reports/sample-reports.ts';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ringlab-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ESCAPED_XSS = '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src&#x3D;x onerror&#x3D;alert(2)&gt;';

describe('HTML report', () => {
  const html = renderHtml(sampleReport());

  it('escapes every piece of guest output', () => {
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/onerror=/i);
    // Where the XSS appears: reason (summary and test), observed, serial, screen, timeline.
    expect(html.split(ESCAPED_XSS).length - 1).toBeGreaterThanOrEqual(6);
  });

  it('escapes the compiler log and the fatal message too', () => {
    expect(renderHtml(buildErrorReport())).toContain('&lt;b&gt;bold&lt;/b&gt;');
    const report = fatalReport();
    report.fatal = `bad lab: ${XSS}`;
    expect(renderHtml(report)).not.toContain('<script');
  });

  it('keeps transcripts byte for byte (no partial indentation) and shows control bytes as \\xNN', () => {
    const serial = html.match(/<details class="serial" open>\s*<summary>Serial output<\/summary>\s*<pre>([^<]*)<\/pre>/);
    expect(serial?.[1]).toBe(
      `kernel: entering user mode\nuser&gt; ${ESCAPED_XSS}\n` +
        'esc[\\x1B[31mred\\x1B[0m] nul[\\x00] bel[\\x07] ff[\\x0C] c1[\\x9B] del[\\x7F]\n',
    );
    expect(html).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    const screen = html.match(/<pre class="vga">([^<]*)<\/pre>/)?.[1];
    expect(screen?.split('\n').slice(0, 2)).toEqual(['ringlab kernel booting', '']);
  });

  it('templates never use triple-stash (unescaped) output', () => {
    const files = ['report.hbs', ...readdirSync(join(TEMPLATES, 'partials')).map((f) => join('partials', f))];
    for (const file of files) expect(readFileSync(join(TEMPLATES, file), 'utf8'), file).not.toMatch(/\{\{\{|\{\{&/);
  });

  it('is self-contained: no scripts, no network, a CSP that forbids both', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/\b(src|srcset)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'`);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  it('is deterministic: same report, same bytes', () => {
    expect(renderHtml(sampleReport())).toBe(html);
  });

  it('has a summary table linking to an anchor per test', () => {
    const anchors = [...html.matchAll(/<a href="#(test-\d+)">/g)].map((m) => m[1]);
    expect(anchors).toEqual(['test-1', 'test-2', 'test-3', 'test-4']);
    for (const a of anchors) expect(html).toContain(`id="${a}"`);
    expect(html).toContain('<span class="big">9</span> / 26 points');
  });

  it('shows checks with expected, observed and where, registers in hex and the 25-line screen', () => {
    expect(html).toContain('<dt>where</dt><dd><code>icount 91422, 001b:08048123 (int 0x80)</code></dd>');
    expect(html).toContain('<dt>expected</dt><dd><pre>&#x27;hello from ring 3&#x27;</pre></dd>');
    expect(html).toContain('<dt>cr2</dt><dd>deadbeef</dd>');
    expect(html).toContain('<dt>cs</dt><dd>001b</dd>');
    const view = reportView(sampleReport());
    expect(view.tests[1]!.registers.slice(0, 3).map((r) => r.name)).toEqual(['eax', 'ebx', 'ecx']);
    expect(view.tests[0]!.screen!.split('\n')).toHaveLength(25);
    expect(html).toContain('91422  1b:08048123  int 0x80');
  });

  it('renders a redacted hidden test without its guest data, and no "undefined"', () => {
    const view = reportView(sampleReport()).tests[3]!;
    expect(view).toMatchObject({ serial: undefined, screen: undefined, timeline: [], registers: [], checks: [] });
    expect(html).not.toContain('undefined');
    const section = html.slice(html.indexOf('id="test-4"'));
    expect(section).toContain('No serial output.');
    expect(section).toContain('No screen captured.');
  });

  it('puts a build error and a fatal problem at the top', () => {
    const build = renderHtml(buildErrorReport());
    expect(build.indexOf('Build failed')).toBeLessThan(build.indexOf('id="test-1"'));
    expect(build).toContain('filler line 29');
    const fatal = renderHtml(fatalReport());
    expect(fatal).toContain('<h2>Grading could not run</h2>');
    expect(fatal).not.toContain('<table>');
  });
});

describe('writeReports', () => {
  it('creates the directory and writes the three reports, returning their paths', () => {
    const out = join(dir, 'nested', 'reports');
    const paths = writeReports(sampleReport(), out);
    expect(paths).toEqual({ html: join(out, 'report.html'), gradescope: join(out, 'results.json'), junit: join(out, 'junit.xml') });
    expect(readFileSync(paths.html, 'utf8')).toBe(renderHtml(sampleReport()));
    expect(JSON.parse(readFileSync(paths.gradescope, 'utf8')).score).toBe(9);
    expect(readFileSync(paths.junit, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites /);
  });

  it('passes a caller-measured execution time through to results.json', () => {
    const paths = writeReports(sampleReport(), join(dir, 'timed'), { gradescope: { executionTime: 7 } });
    expect(JSON.parse(readFileSync(paths.gradescope, 'utf8')).execution_time).toBe(7);
  });
});
