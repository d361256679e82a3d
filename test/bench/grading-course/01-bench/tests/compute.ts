// The benchmark lab's 'compute' tests; their expectations live in ../cases.ts.
import { defineTest } from '../../../../../grader/api/spec.ts';
import { exitedWith, serialContains, serialMatches } from '../../../../../grader/api/checks.ts';
import { CASES } from '../cases.ts';

export default CASES.filter((c) => c.group === 'compute').map((c) =>
  defineTest({
    name: c.name,
    points: 1,
    cmdline: c.cmdline,
    checks: [...c.contains.map(serialContains), ...c.matches.map(serialMatches), exitedWith(c.exit)],
  }),
);
