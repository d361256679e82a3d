// Worker threads start with Node's plain loader, which cannot read TypeScript:
// the worker runs from the compiled copies (see typescript-cache.mjs).
import { fileURLToPath } from 'node:url';
import { importTypeScript } from '../typescript-cache.mjs';

await importTypeScript(fileURLToPath(new URL('./worker.ts', import.meta.url)));
