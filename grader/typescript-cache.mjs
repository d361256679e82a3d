// Node 20 cannot run TypeScript, and a loader hook (tsx) costs about 0.3 s per
// process and per worker thread, more than most lab tests take to run. So the
// grader runs compiled copies instead: each .ts file, when first needed or
// changed, is compiled once to an ES module under build/js/ (mirroring its
// absolute path), with its relative imports pointing at the compiled copies of
// what it imports. Course files (specs and their helpers) go through the same
// cache, wherever the course lives.
//
// This file is plain JavaScript because it is what makes TypeScript runnable.
//
// Each compiled file starts with a line saying which source it was made from
// (size and mtime) and what it imports, so that checking the cache is a stat
// and a read per file, with no shared index for concurrent graders to race on.
// Writes go to a temporary name and are renamed into place.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOOL_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_ROOT = path.join(TOOL_ROOT, 'build', 'js');
const HEADER = '// ringlab-compiled ';
/** Bump when the output of compile() changes for the same input. */
const FORMAT = 1;
const TYPESCRIPT = /\.[cm]?ts$/;

export class TypeScriptLoadError extends Error {}

/**
 * Why this checkout cannot run yet, when its npm packages are not installed
 * (a fresh clone or a student's repository before `npm ci`); null when they are.
 * esbuild stands for them all: it is the first one a run needs.
 */
export function missingPackages() {
  if (stampOf(path.join(TOOL_ROOT, 'node_modules', 'esbuild', 'package.json')) !== null) return null;
  return `the npm packages this tool needs are not installed in ${TOOL_ROOT}; run \`npm ci\` there, then this command again`;
}

/** Where the compiled copy of the source file `file` (absolute) lives. */
export function compiledPath(file) {
  const { root } = path.parse(file);
  return path.join(CACHE_ROOT, file.slice(root.length).replace(/:/g, '_') + '.mjs');
}

function stampOf(file) {
  let st;
  try {
    st = statSync(file);
  } catch {
    return null;
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** The header of a compiled file, if it is a compiled copy of `stamp`'s source by this compiler. */
function freshHeader(target, stamp, compiler) {
  let text;
  try {
    text = readFileSync(target, 'utf8');
  } catch {
    return null;
  }
  if (!text.startsWith(HEADER)) return null;
  try {
    const h = JSON.parse(text.slice(HEADER.length, text.indexOf('\n')));
    return h.size === stamp.size && h.mtimeMs === stamp.mtimeMs && h.compiler === compiler ? h : null;
  } catch {
    return null;
  }
}

/**
 * The file a relative import names: as written, or the TypeScript source of a
 * .js/.mjs name (the NodeNext convention), or with .ts added.
 */
function resolveRelative(from, specifier) {
  const wanted = path.resolve(path.dirname(from), specifier);
  const candidates = [wanted];
  if (/\.m?js$/.test(wanted)) candidates.push(wanted.replace(/js$/, 'ts'));
  if (!path.extname(wanted)) candidates.push(`${wanted}.ts`, `${wanted}.mts`, path.join(wanted, 'index.ts'));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // try the next spelling
    }
  }
  throw new TypeScriptLoadError(`${from}: imports '${specifier}', which does not exist (looked for ${path.relative(path.dirname(from), wanted) || wanted})`);
}

let esbuild = null;

async function compile(file, stamp, compiler) {
  esbuild ??= await import('esbuild');
  const deps = [];
  const url = pathToFileURL(file).href;
  let out;
  try {
    out = await esbuild.build({
      entryPoints: [file],
      // "Bundle" with every import external: esbuild then lets a plugin rewrite
      // each import's path, which plain transpiling does not.
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      tsconfigRaw: tsconfig(),
      legalComments: 'none',
      // The compiled copy behaves as if it ran from where its source is (templates, worker entry).
      define: {
        'import.meta.url': JSON.stringify(url),
        'import.meta.filename': JSON.stringify(file),
        'import.meta.dirname': JSON.stringify(path.dirname(file)),
      },
      plugins: [{
        name: 'ringlab-compiled-imports',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            if (!args.path.startsWith('.') && !path.isAbsolute(args.path)) return { path: args.path, external: true };
            const target = resolveRelative(file, args.path);
            if (!TYPESCRIPT.test(target)) return { path: pathToFileURL(target).href, external: true };
            deps.push(target);
            return { path: pathToFileURL(compiledPath(target)).href, external: true };
          });
        },
      }],
    });
  } catch (e) {
    const first = e?.errors?.[0];
    if (first?.detail instanceof TypeScriptLoadError) throw first.detail;
    if (first) {
      const where = first.location ? `${path.resolve(first.location.file)}:${first.location.line}:${first.location.column + 1}: ` : `${file}: `;
      throw new TypeScriptLoadError(`${where}${first.text}`);
    }
    throw e;
  }
  const header = { size: stamp.size, mtimeMs: stamp.mtimeMs, compiler, deps: [...new Set(deps)] };
  const target = compiledPath(file);
  mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${Math.floor(performance.now() * 1000)}.tmp`;
  writeFileSync(temp, `${HEADER}${JSON.stringify(header)}\n${out.outputFiles[0].text}`);
  renameSync(temp, target);
  return header;
}

let compilerId = null;
let tsconfigText = null;

/**
 * The repository's tsconfig.json, which every file is compiled with, course
 * files elsewhere included, so that a spec means the same wherever it lives.
 */
function tsconfig() {
  tsconfigText ??= readFileSync(path.join(TOOL_ROOT, 'tsconfig.json'), 'utf8');
  return tsconfigText;
}

function compilerIdentity() {
  if (compilerId) return compilerId;
  // The esbuild version and the tsconfig decide the output; the version comes
  // from esbuild's package.json so that a fresh cache never loads esbuild itself.
  const pkg = JSON.parse(readFileSync(path.join(TOOL_ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8'));
  compilerId = `${FORMAT}/${pkg.version}/${createHash('sha256').update(tsconfig()).digest('hex').slice(0, 16)}`;
  return compilerId;
}

/**
 * Make sure `file` (a .ts path) and the TypeScript it imports, transitively,
 * have fresh compiled copies; returns the URL of `file`'s copy. Throws a
 * TypeScriptLoadError with one line (file:line:column: what) when a file
 * cannot be compiled.
 */
export async function compileTypeScript(file) {
  const entry = path.resolve(file);
  const compiler = compilerIdentity();
  const seen = new Set();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop();
    if (seen.has(f)) continue;
    seen.add(f);
    const stamp = stampOf(f);
    if (!stamp) throw new TypeScriptLoadError(`${f}: no such file`);
    const header = freshHeader(compiledPath(f), stamp, compiler) ?? (await compile(f, stamp, compiler));
    todo.push(...header.deps);
  }
  return pathToFileURL(compiledPath(entry)).href;
}

/** import() a TypeScript module through the cache. */
export async function importTypeScript(file) {
  return import(await compileTypeScript(file));
}

/**
 * Remove the compiled copies whose source is gone (a course that lived in a
 * temporary directory, a deleted spec) and the folders left empty, so the
 * cache does not grow with every course ever graded. Returns how many
 * compiled files were removed. The test run calls this when it ends.
 */
export function pruneCompiled() {
  let removed = 0;
  const visit = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return true;
    }
    let empty = true;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (visit(full)) {
          try {
            rmdirSync(full);
            continue;
          } catch {
            // another grader wrote into it meanwhile
          }
        }
        empty = false;
      } else if (e.name.endsWith('.mjs') && stampOf(sourceOf(full)) === null) {
        unlinkSync(full);
        removed++;
      } else {
        empty = false;
      }
    }
    return empty;
  };
  visit(CACHE_ROOT);
  return removed;
}

/** The source file a compiled copy was made from: compiledPath() backwards. */
function sourceOf(compiled) {
  return path.join(path.parse(TOOL_ROOT).root, path.relative(CACHE_ROOT, compiled).slice(0, -'.mjs'.length));
}

