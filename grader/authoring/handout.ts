// A lab's handout as one self-contained HTML page: students open it from disk,
// print it, or read it offline, so it carries its own styles and images and
// fetches nothing. The markdown is the instructor's, but raw HTML in it is
// escaped anyway: a handout pasted from elsewhere must not carry script.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { LabError, type Lab } from '../course/labs.ts';

const TEMPLATE = fileURLToPath(new URL('../../templates/handout.hbs', import.meta.url));

/** Images a handout may embed, by extension; anything else keeps its link and shows as missing. */
const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};
/** Embedded images make the page bigger by a third of their size; past this the handout should link instead. */
const IMAGE_LIMIT = 2 << 20;

// The part of markdown-it used here. markdown-it ships no type declarations
// (and @types/markdown-it is not a dependency), so it is typed by hand.
interface Token {
  attrGet(name: string): string | null;
  attrSet(name: string, value: string): void;
}
interface Renderer {
  rules: Record<string, ((tokens: Token[], idx: number, options: unknown, env: unknown, self: Renderer) => string) | undefined>;
  renderToken(tokens: Token[], idx: number, options: unknown): string;
}
interface MarkdownIt {
  render(source: string): string;
  renderer: Renderer;
}
type MarkdownItConstructor = new (options: { html: boolean; linkify: boolean; typographer: boolean }) => MarkdownIt;

/** The handout of `lab` as an HTML page; a lab without handout.md is a LabError. */
export async function renderHandout(lab: Lab): Promise<string> {
  if (lab.handout === undefined) throw new LabError(`${lab.dir}: no handout.md; write the handout there in markdown`);
  return renderHandoutText(readFileSync(lab.handout, 'utf8'), {
    number: lab.manifest.number,
    title: lab.manifest.title,
    baseDir: lab.dir,
  });
}

export interface HandoutPage {
  number: number;
  title: string;
  /** Where relative image paths are looked up; images outside it are not embedded. */
  baseDir: string;
}

export async function renderHandoutText(markdown: string, page: HandoutPage): Promise<string> {
  const { default: MarkdownItClass } = (await import('markdown-it' as string)) as { default: MarkdownItConstructor };
  const md = new MarkdownItClass({ html: false, linkify: false, typographer: false });
  const image = md.renderer.rules.image;
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const token = tokens[idx];
    if (token !== undefined) {
      const embedded = embedImage(token.attrGet('src') ?? '', page.baseDir);
      if (embedded !== undefined) token.attrSet('src', embedded);
    }
    return image ? image(tokens, idx, options, env, self) : self.renderToken(tokens, idx, options);
  };
  const template = Handlebars.compile(readFileSync(TEMPLATE, 'utf8'), { strict: true });
  return template({ number: page.number, title: page.title, body: md.render(markdown) });
}

/** A data: URI for a relative image inside `baseDir`, so the page needs no files beside it. */
function embedImage(src: string, baseDir: string): string | undefined {
  if (src === '' || /^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/')) return undefined;
  const base = path.resolve(baseDir);
  const file = path.resolve(base, decodeURIComponent(src.replace(/[?#].*$/s, '')));
  if (!file.startsWith(base + path.sep)) return undefined;
  const type = IMAGE_TYPES[path.extname(file).toLowerCase()];
  if (type === undefined || !existsSync(file) || !statSync(file).isFile() || statSync(file).size > IMAGE_LIMIT) return undefined;
  return `data:${type};base64,${readFileSync(file).toString('base64')}`;
}
