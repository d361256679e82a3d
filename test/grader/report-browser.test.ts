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

  it('fits a phone screen: only pre blocks scroll sideways', async () => {
    const { page } = await open({ width: 375, height: 740 });
    const overflow = await pageOverflow(page);
    expect(overflow.document).toBeLessThanOrEqual(overflow.viewport);
    expect(overflow.wideNonPre).toEqual([]);
    await page.screenshot({ path: join(BUILD, 'report-screenshot-phone.png'), fullPage: true });
    await page.close();
  });
});
