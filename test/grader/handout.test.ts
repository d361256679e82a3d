// `lab handout`: one self-contained page with the lab's title, and raw HTML
// in the markdown shown as text, never run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHandout, renderHandoutText } from '../../grader/authoring/handout.ts';
import { findLab } from '../../grader/course/labs.ts';
import { lab } from '../lab-cli.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course-regions', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ringlab-handout-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab handout', () => {
  it('renders the markdown under the manifest title, escaping raw HTML', async () => {
    const html = await renderHandout(findLab(COURSE, 1));
    expect(html).toContain('<title>Lab 1: Serial &lt;output&gt; &amp; friends</title>');
    expect(html).toContain('<h1>Lab 1: the serial port</h1>');
    expect(html).toContain('<strong>COM1</strong>');
    expect(html).toContain('&lt;script&gt;alert(&quot;raw html must not run&quot;)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
  });

  it('fetches nothing: inline styles, a CSP without network sources, local images embedded', async () => {
    writeFileSync(join(work, 'dot.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    const html = await renderHandoutText('![a dot](dot.png) ![far](https://example.com/x.png) [link](javascript:alert(1))', { number: 3, title: 'T', baseDir: work });
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<link\b/);
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).not.toContain('href="javascript:');
  });

  it('writes the page with --out and refuses a lab without a handout', () => {
    const file = join(work, 'handout.html');
    const ok = lab('handout', '1', '--course', COURSE, '--out', file);
    expect(ok.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('<p class="lab">Lab 1 · Serial &lt;output&gt; &amp; friends</p>');
    const missing = lab('handout', '2', '--course', COURSE);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^lab: .*02-more: no handout\.md[^\n]*\n$/);
  });
});
