// Lab 6: the measurement program runs every path and prints a table that
// agrees with the cycles the machine counted.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { costAgreesWithEvents, pathsTaken } from './lib/fastcall.ts';

export default [
  defineTest({
    name: 'the measurement runs a call, INT 0x80, SYSENTER and SYSENTER with two CR3 writes 1000 times each, and its table agrees with the cycles the machine counted',
    points: 6,
    modules: [{ program: 'cost' }],
    checks: [
      serialInOrder([
        /cost: per call, 1000 iterations, loop overhead \d+ taken off\n/,
        /cost: function call \d+\n/,
        /cost: int 0x80 \d+\n/,
        /cost: sysenter \d+\n/,
        /cost: sysenter with two cr3 writes \d+\n/,
        'all processes done: 1 exited, 0 killed\n',
      ]),
      pathsTaken(2000, 4000),
      costAgreesWithEvents(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
