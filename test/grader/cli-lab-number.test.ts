// Every command that takes a lab number reads it the same way, and refuses
// one that is not in the same one line.

import { describe, expect, it } from 'vitest';
import { runLab } from '../lab-cli.ts';

describe('the lab number', () => {
  it.each([
    ['build'], ['grade'], ['validate'], ['release', '--out', '/nonexistent/out'], ['handout'], ['run', '--test', 'faults/cli'],
  ])('lab %s refuses "three" in the one line every command uses', (command, ...rest) => {
    const r = runLab([command, 'three', ...rest], { timeoutMs: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("lab: the lab number must be a whole number such as 3 (see lab list), not 'three'\n");
  });
});
