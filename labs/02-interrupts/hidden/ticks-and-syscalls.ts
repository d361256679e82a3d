// Lab 2, hidden: other tick counts, and EAX really is the system-call number.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic, noTripleFault, serialInOrder } from '../../../grader/api/checks.ts';
import { ticksPrinted, timerOnVector0x20 } from '../tests/lib/interrupts.ts';

export default [
  ...[1, 37].map((n) =>
    defineTest({
      name: `ticks=${n}: prints "ticks: ${n}" and exits`,
      points: 1,
      visibility: 'hidden',
      cmdline: `ticks=${n}`,
      checks: [ticksPrinted(n), timerOnVector0x20(n), exitedWith(0), noPanic(), noTripleFault()],
    }),
  ),
  defineTest({
    name: 'int80=7 then ticks=3: "syscall 7", then the timer still runs',
    points: 2,
    visibility: 'hidden',
    cmdline: 'int80=7 ticks=3',
    checks: [serialInOrder(['\nsyscall 7\n', '\nticks: 3\n', 'lab2: ok\n']), exitedWith(0), noPanic(), noTripleFault()],
  }),
];
