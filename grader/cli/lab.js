#!/usr/bin/env node
// The `lab` executable. Node 20 cannot load TypeScript, so the real entry
// point runs from compiled copies (see ../typescript-cache.mjs).
import { fileURLToPath } from 'node:url';
import { compileTypeScript, missingPackages, TypeScriptLoadError } from '../typescript-cache.mjs';
import { EXIT_BAD_INPUT, EXIT_INTERNAL_ERROR } from './exit-status.mjs';

// A reader that goes away early (`lab run ... | head`) is not an error of ours.
process.stdout.on('error', () => {});

async function run() {
  const missing = missingPackages();
  if (missing !== null) {
    process.stderr.write(`lab: ${missing}\n`);
    return EXIT_BAD_INPUT;
  }
  try {
    const { main } = await import(await compileTypeScript(fileURLToPath(new URL('./lab.ts', import.meta.url))));
    return await main(process.argv);
  } catch (e) {
    const what = e instanceof TypeScriptLoadError ? 'cannot compile the grader' : 'internal error';
    process.stderr.write(`lab: ${what}: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
    return EXIT_INTERNAL_ERROR;
  }
}

const status = await run();
// Exit only once everything written to stdout has been handed to the OS, so a
// pipe gets every guest byte; exiting explicitly also means a stray timer or
// worker cannot keep a finished run alive.
process.exitCode = status;
process.stdout.write('', () => process.exit(status));
