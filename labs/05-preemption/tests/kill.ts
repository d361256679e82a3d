// Lab 5: kill() ends a sleeping process, a runnable one, and the caller
// itself; each ends with status -1 before it runs ring-3 code again.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';

export default [
  defineTest({
    name: 'kill() ends a sleeper, a spinner and the caller itself (status -1), and refuses a pid nobody has (-ESRCH)',
    points: 10,
    modules: [{ program: 'killer' }],
    checks: [
      serialInOrder([
        'killer: kill sleeper 0, spinner 0, nobody -3\n',
        /killer: pid [23] ended with -1\n/,
        /killer: pid [23] ended with -1\n/,
        'killer: both ended within 10 ticks of the kills\n',
        'killer: the suicide ended with -1\n',
        'all processes done: 1 exited, 3 killed\n',
      ]),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
