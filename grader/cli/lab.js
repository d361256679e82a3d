#!/usr/bin/env node
// The `lab` executable. Node cannot load TypeScript by itself, so tsx's loader
// is registered first and the real entry point is imported only after that
// (a static import would be resolved before register() runs).
import { register } from 'tsx/esm/api';

// A reader that goes away early (`lab run ... | head`) is not an error of ours.
process.stdout.on('error', () => {});

let status;
try {
  register();
  const { main } = await import('./lab.ts');
  status = await main(process.argv);
} catch (e) {
  process.stderr.write(`lab: internal error: ${String(e instanceof Error ? e.message : e).split('\n')[0]}\n`);
  status = 70;
}
// Exit only once everything written to stdout has been handed to the OS, so a
// pipe gets every guest byte; exiting explicitly also means a stray timer or
// worker cannot keep a finished run alive.
process.exitCode = status;
process.stdout.write('', () => process.exit(status));
