// The HTML pages' templates, compiled one way: a private Handlebars instance
// with the shared partials (styles, ...), strict about fields, so that a
// misspelt field in a template is an error here, not a silently empty cell in
// a student's report.

import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));

/** Compiles templates/`file` with every partial in templates/partials. */
export function compileTemplate<T>(file: string): (view: T) => string {
  // A private instance, so partials registered elsewhere (the handout page) cannot collide with ours.
  const hbs = Handlebars.create();
  const partials = join(TEMPLATES, 'partials');
  for (const name of readdirSync(partials).sort()) {
    if (name.endsWith('.hbs')) hbs.registerPartial(basename(name, '.hbs'), readFileSync(join(partials, name), 'utf8'));
  }
  // preventIndent: by default Handlebars indents every line a partial outputs, guest transcripts included,
  // which would shift the serial log and the VGA screen by the partial's indentation.
  return hbs.compile<T>(readFileSync(join(TEMPLATES, file), 'utf8'), { strict: true, preventIndent: true });
}
