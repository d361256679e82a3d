#!/usr/bin/env node
// The `lab` executable. Node 20 cannot load TypeScript, so the real entry
// point runs from compiled copies (see ../typescript-cache.mjs).
import { fileURLToPath } from 'node:url';
import { compileTypeScript, TypeScriptLoadError } from '../typescript-cache.mjs';

// A reader that goes away early (`lab run ... | head`) is not an error of ours.
process.stdout.on('error', () => {});

let status;
try {
  const { main } = await import(await compileTypeScript(fileURLToPath(new URL('./lab.ts', import.meta.url))));
  status = await main(process.argv);
} catch (e) {
  const what = e instanceof TypeScriptLoadError ? 'cannot compile the grader' : 'internal error';
  process.stderr.write(`lab: ${what}: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  status = 70;
}
// Exit only once everything written to stdout has been handed to the OS, so a
// pipe gets every guest byte; exiting explicitly also means a stray timer or
// worker cannot keep a finished run alive.
process.exitCode = status;
process.stdout.write('', () => process.exit(status));
