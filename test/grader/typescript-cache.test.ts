import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compiledPath, compileTypeScript, importTypeScript, pruneCompiled, TypeScriptLoadError } from '../../grader/typescript-cache.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ringlab-ts-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function loadError(file: string): Promise<string> {
  try {
    await compileTypeScript(file);
  } catch (e) {
    expect(e).toBeInstanceOf(TypeScriptLoadError);
    return (e as Error).message;
  }
  throw new Error(`${file} compiled`);
}

describe('the TypeScript cache the grader runs from', () => {
  it('runs a module with its relative imports, written as .ts, .js or without extension', async () => {
    write('leaf.ts', 'export const leaf: number = 40;\n');
    write('mid.ts', "import { leaf } from './leaf.js';\nexport const mid = (n: number): number => leaf + n;\n");
    const top = write('top.ts', "import { mid } from './mid';\nimport type { Stats } from 'node:fs';\nexport default mid(2) satisfies number;\nexport const here = import.meta.url;\n");
    const mod = (await importTypeScript(top)) as { default: number; here: string };
    expect(mod.default).toBe(42);
    // A compiled copy still sees the URL of its source, so paths relative to it keep working.
    expect(mod.here).toBe(new URL(`file://${top}`).href);
  });

  it('recompiles a file that changed, and only then', async () => {
    const file = write('changing.ts', 'export default 1;\n');
    await compileTypeScript(file);
    const first = readFileSync(compiledPath(file), 'utf8');
    await compileTypeScript(file);
    expect(readFileSync(compiledPath(file), 'utf8')).toBe(first);
    write('changing.ts', 'export default 22;\n');
    utimesSync(file, new Date(2030, 0, 1), new Date(2030, 0, 1));
    await compileTypeScript(file);
    expect(readFileSync(compiledPath(file), 'utf8')).toContain('22');
  });

  it('prunes the compiled copies of sources that are gone, and only those', async () => {
    mkdirSync(join(dir, 'gone'));
    const kept = write('kept.ts', 'export default 1;\n');
    const gone = write('gone/spec.ts', 'export default 2;\n');
    await compileTypeScript(kept);
    await compileTypeScript(gone);
    const repoFile = join(process.cwd(), 'grader/api/spec.ts');
    await compileTypeScript(repoFile);
    rmSync(join(dir, 'gone'), { recursive: true });
    expect(pruneCompiled()).toBeGreaterThanOrEqual(1);
    expect(existsSync(compiledPath(gone))).toBe(false);
    expect(existsSync(join(compiledPath(gone), '..'))).toBe(false);
    expect(existsSync(compiledPath(kept))).toBe(true);
    expect(existsSync(compiledPath(repoFile))).toBe(true);
  });

  it('names the file, line and column of a syntax error in one line', async () => {
    const file = write('broken.ts', "export default {\n  name: 'x'\n");
    expect(await loadError(file)).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:3:1: Expected "}" but found end of file$`));
  });

  it('names an import that does not exist, and the file that imports it', async () => {
    const file = write('lonely.ts', "import { x } from './gone.ts';\nexport default x;\n");
    expect(await loadError(file)).toBe(`${file}: imports './gone.ts', which does not exist (looked for gone.ts)`);
    expect(await loadError(join(dir, 'never-written.ts'))).toBe(`${join(dir, 'never-written.ts')}: no such file`);
  });
});
