// Opening a page of ours in headless Chromium, as the browser tests of the
// student's report and the instructor's summary both do: with every dialog,
// console line, page error and request recorded, so that a script that runs or
// a fetch that happens fails the test.

import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { chromiumPath } from './host-tools.ts';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export interface PageRecord {
  dialogs: string[];
  console: string[];
  requests: string[];
  errors: string[];
}

/** Opens `file`, recording anything a script or the page could have done. */
export async function openPage(browser: Browser, file: string, viewport: { width: number; height: number }): Promise<{ page: Page; seen: PageRecord }> {
  const page = await browser.newPage({ viewport });
  const seen: PageRecord = { dialogs: [], console: [], requests: [], errors: [] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => seen.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('request', (r) => seen.requests.push(r.url()));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, seen };
}

/** Widths that matter on a phone: the page's, and any element (outside pre) wider than the viewport. */
export async function pageOverflow(page: Page): Promise<{ document: number; viewport: number; wideNonPre: string[] }> {
  // A string, because this project's tsconfig has no DOM types; it runs in the page.
  return page.evaluate(`(() => {
    const viewport = document.documentElement.clientWidth;
    const wideNonPre = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('pre')) continue;
      if (el.getBoundingClientRect().right > viewport + 0.5) wideNonPre.push(el.tagName + '.' + el.className);
    }
    return { document: document.documentElement.scrollWidth, viewport, wideNonPre };
  })()`);
}
