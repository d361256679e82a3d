// Worker threads start with Node's plain loader, which cannot read TypeScript
// (under `npx tsx` the hooks are inherited through execArgv, under vitest or
// `lab` they are not), so tsx is registered here before the real worker loads.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
