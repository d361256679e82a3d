// Opening a page of ours in headless Chromium, as the browser tests of the
// student's report and the instructor's summary both do: with every dialog,
// console line, page error and request recorded, so that a script that runs or
// a fetch that happens fails the test.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
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
export async function openPage(browser: Browser, file: string, viewport: Viewport): Promise<{ page: Page; seen: PageRecord }> {
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

export interface Viewport {
  width: number;
  height: number;
}

/** A page of ours on disk and a Chromium to open it in, as the tests of one describe share them. */
export interface PageUnderTest {
  /** The page's file: the one request the page may make is for it. */
  file(): string;
  browser(): Browser;
  open(viewport: Viewport): ReturnType<typeof openPage>;
}

/**
 * `html()` written to a temporary `name` and Chromium started, before the
 * first test of the enclosing describe; both gone after its last (and never
 * made where the describe is skipped).
 */
export function pageUnderTest(name: string, html: () => string): PageUnderTest {
  let dir: string | undefined;
  let running: Browser | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringlab-browser-'));
    writeFileSync(join(dir, name), html());
    running = await launchChromium();
  });
  afterAll(async () => {
    await running?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const made = <T>(thing: T | undefined): T => {
    if (thing === undefined) throw new Error('pageUnderTest: its page is made in beforeAll, so use it inside a test');
    return thing;
  };
  const file = () => join(made(dir), name);
  return { file, browser: () => made(running), open: (viewport) => openPage(made(running), file(), viewport) };
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
