// Plain Node cannot load TypeScript: run the pass from the compiled copies, as a grading worker does.
import { fileURLToPath } from 'node:url';
import { importTypeScript } from '../../grader/typescript-cache.mjs';

await importTypeScript(fileURLToPath(new URL('./cold-start-pass.ts', import.meta.url)));
