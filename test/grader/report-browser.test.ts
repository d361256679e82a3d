// Opens the HTML report in a real browser: the escaping tests check bytes, this
// checks what a student actually gets (no script runs, the reason is on screen,
// nothing overflows a phone). Needs Debian's chromium; skips without it.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../grader/report/html.ts';
import { sampleReport } from '../fixtures/reports/sample-reports.ts';
import { needs } from '../host-tools.ts';
import { pageOverflow, pageUnderTest } from '../browser.ts';

const BUILD = fileURLToPath(new URL('../../build/', import.meta.url));

describe('HTML report in headless Chromium', needs('chromium'), () => {
  const { file, browser, open } = pageUnderTest('report.html', () => renderHtml(sampleReport()));

  it('the listeners do notice a script that runs (so the next test can fail)', async () => {
    const page = await browser().newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setContent('<p>unescaped</p><script>alert(1)</script>');
    expect(dialogs).toEqual(['1']);
    await page.close();
  });

  it('runs no guest script, fires no dialog and fetches nothing', async () => {
    const { page, seen } = await open({ width: 1000, height: 800 });
    // Give a stray onerror handler time to fire, if there were one.
    await page.waitForTimeout(300);
    expect(seen.dialogs).toEqual([]);
    expect(seen.console).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.requests).toEqual([pathToFileURL(file()).href]);
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    await page.close();
  });

  it("shows the failing test's reason and the guest output as text", async () => {
    const { page } = await open({ width: 1000, height: 800 });
    const reason = page.locator('#test-2 .reason');
    await expect.poll(() => reason.isVisible()).toBe(true);
    expect(await reason.textContent()).toBe(
      "serial output does not contain 'hello from ring 3'; it ended with <script>alert(1)</script><img src=x onerror=alert(2)>",
    );
    expect(await page.locator('#test-2 .serial pre').textContent()).toContain('user> <script>alert(1)</script>');
    mkdirSync(BUILD, { recursive: true });
    await page.screenshot({ path: join(BUILD, 'report-screenshot.png'), fullPage: true });
    await page.close();
  });

  it("draws the failing test's schedule: a sized picture with its spans, labels and marks, and nothing fetched for it", async () => {
    const { page, seen } = await open({ width: 1000, height: 800 });
    const chart = page.locator('#test-2 svg.schedule-chart');
    await expect.poll(() => chart.isVisible()).toBe(true);
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(600);
    expect(box!.height).toBeGreaterThan(80);
    expect(await chart.locator('rect.span').count()).toBe(9);
    expect(await chart.locator('text.row-label').allTextContents()).toEqual(['boot (before CR3 loads)', 'pid 1 hello · CR3 0020d000', 'pid 2 spin · CR3 0020e000', 'idle (HLT)']);
    // The kill is drawn inside the picture, where the ticks put it.
    const kill = await chart.locator('path.mark.kill').boundingBox();
    expect(kill!.x).toBeGreaterThan(box!.x);
    expect(kill!.x + kill!.width).toBeLessThan(box!.x + box!.width);
    expect(seen.requests).toEqual([pathToFileURL(file()).href]);
    // Nothing of the passed test's: it did not ask for its schedule.
    expect(await page.locator('#test-1 svg.schedule-chart').count()).toBe(0);
    await page.close();
  });

  it('fits a phone screen: only pre blocks scroll sideways', async () => {
    const { page } = await open({ width: 375, height: 740 });
    const overflow = await pageOverflow(page);
    expect(overflow.document).toBeLessThanOrEqual(overflow.viewport);
    expect(overflow.wideNonPre).toEqual([]);
    await page.screenshot({ path: join(BUILD, 'report-screenshot-phone.png'), fullPage: true });
    await page.close();
  });
});
