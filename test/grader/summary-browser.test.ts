// The instructor's summary of a batch (issue 17), opened in headless
// Chromium: the charts show what the grades say, and student-controlled text
// (folder names, their kernels' output in diagnoses) stays text.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GradesRecord, StudentGrade } from '../../grader/batch/gradebook.ts';
import { renderSummary, summaryView } from '../../grader/batch/summary.ts';
import { pageOverflow, pageUnderTest } from '../browser.ts';
import { needs } from '../host-tools.ts';

const BUILD = fileURLToPath(new URL('../../build/', import.meta.url));
const HOSTILE = '<img src=x onerror=alert(1)>';

function student(name: string, score: number | null, points: Record<string, number>, failures: StudentGrade['failures'] = [], status: StudentGrade['status'] = 'graded'): StudentGrade {
  return { student: name, status, score, maxScore: 10, points, detail: status === 'graded' ? '' : 'it broke', failures };
}

/** Twelve students: five full marks, four at 4/10 failing the same way at different addresses, a build error, a hostile name, no kernel. */
function record(): GradesRecord {
  const rows: StudentGrade[] = [];
  for (let i = 0; i < 5; i++) rows.push(student(`full${i}`, 10, { 'a/boots': 6, 'a/exits': 4 }));
  for (let i = 0; i < 4; i++) {
    rows.push(student(`half${i}`, 4, { 'a/boots': 0, 'a/exits': 4 }, [
      { test: 'a/boots', headline: `#PF at 0x${(0xc0100000 + i * 16).toString(16)} in ring 3: <script>alert(2)</script>` },
    ]));
  }
  rows.push(student('broken', 0, { 'a/boots': 0, 'a/exits': 0 }, [], 'build-error'));
  rows.push(student(HOSTILE, 6, { 'a/boots': 6, 'a/exits': 0 }, [{ test: 'a/exits', headline: 'run ended by budget' }]));
  rows.push(student('nobody', 0, {}, [], 'no-submission'));
  return { lab: { number: 1, slug: '01-x', title: 'Lab <one>' }, columns: [{ id: 'a/boots', maxScore: 6 }, { id: 'a/exits', maxScore: 4 }], rows };
}

describe('the batch summary', () => {
  it('counts what the grades say', () => {
    const view = summaryView(record());
    expect(view.submissions).toBe(12);
    expect(view.graded).toBe(10);
    expect(view.mean).toBe('6'); // (50 + 16 + 0 + 6 + 0) / 12 scored rows
    expect(view.median).toBe('5');
    // A class mean is given to a tenth of a point: (72 + 7) / 13 = 6.0769...
    const more = record();
    more.rows.push(student('late', 7, { 'a/boots': 6, 'a/exits': 1 }, []));
    expect(summaryView(more).mean).toBe('6.1');
    expect(view.histogram.bars.map((b) => b.count)).toEqual([2, 0, 0, 0, 4, 0, 1, 0, 0, 5]);
    expect(view.tests.map((t) => [t.id, t.passed, t.percent])).toEqual([['a/boots', 6, 60], ['a/exits', 9, 90]]);
    // The same fault at four addresses is one failure, shared by four students.
    expect(view.diagnoses[0]).toEqual({ headline: '#PF at 0x… in ring N: <script>alert(N)</script>', students: 4, tests: 'a/boots' });
    expect(view.students.find((s) => s.student === 'nobody')?.report).toBe('');
  });
});

describe('the batch summary in headless Chromium', needs('chromium'), () => {
  const { file, open } = pageUnderTest('summary.html', () => renderSummary(record()));

  it('runs no script, fetches nothing, and shows student text as text', async () => {
    const { page, seen } = await open({ width: 1000, height: 900 });
    await page.waitForTimeout(300);
    expect(seen).toEqual({ dialogs: [], console: [], errors: [], requests: [pathToFileURL(file()).href] });
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    expect(await page.locator('#diagnoses td.headline').first().textContent()).toBe('#PF at 0x… in ring N: <script>alert(N)</script>');
    const link = page.locator('#students a', { hasText: HOSTILE });
    expect(await link.getAttribute('href')).toBe(`students/${encodeURIComponent(HOSTILE)}/report.html`);
    expect(await page.locator('h1').textContent()).toBe('Lab <one>');
    await page.close();
  });

  it('draws one bar per tenth, as tall as its count, and each test as wide as its pass rate', async () => {
    const { page } = await open({ width: 1000, height: 900 });
    const heights = await page.locator('#histogram rect.bar').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().height));
    expect(heights).toHaveLength(10);
    // Counts 2, 4, 1 and 5: the drawn heights keep their proportions.
    expect(heights[4]! / heights[9]!).toBeCloseTo(4 / 5, 1);
    expect(heights[0]! / heights[9]!).toBeCloseTo(2 / 5, 1);
    expect(heights[1]).toBe(0);
    const widths = await page.locator('#tests rect.done').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().width));
    const tracks = await page.locator('#tests rect.track').evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().width));
    expect(widths[0]! / tracks[0]!).toBeCloseTo(0.6, 2);
    expect(widths[1]! / tracks[1]!).toBeCloseTo(0.9, 2);
    mkdirSync(BUILD, { recursive: true });
    await page.screenshot({ path: join(BUILD, 'summary-screenshot.png'), fullPage: true });
    await page.close();
  });

  it('fits a phone screen', async () => {
    const { page } = await open({ width: 375, height: 740 });
    const overflow = await pageOverflow(page);
    expect(overflow.document).toBeLessThanOrEqual(overflow.viewport);
    expect(overflow.wideNonPre).toEqual([]);
    await page.close();
  });
});
