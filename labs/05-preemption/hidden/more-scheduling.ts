// Lab 5, hidden: more of the scheduler: five spinners, sleeping under load,
// switching exactly every quantum, and address spaces switched with it.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { ownAddressSpaces } from '../../04-virtual-memory/tests/lib/vm.ts';
import { fairShares, haltsWhenIdle, kernelStackPerProcess, switchesEveryQuantum } from '../tests/lib/sched.ts';

export default [
  defineTest({
    name: 'five spinners share the CPU equally, within a quantum',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'fair5' }],
    checks: [
      serialInOrder(['fair5: five spinners killed and collected\n', 'all processes done: 1 exited, 5 killed\n']),
      fairShares(5, [2, 3, 4, 5, 6]),
      kernelStackPerProcess(6),
      switchesEveryQuantum(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a sleeper under load wakes no sooner than its tick and at most a quantum late',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'sleep-load' }],
    checks: [
      serialInOrder([/sleep-load: 5 sleeps of 7 ticks under load, ([0-9]|10) ticks late in all\n/, 'all processes done: 1 exited, 1 killed\n']),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'four processes keep their own value at one address while the timer switches between them (CR3 with every switch)',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'same-va-spin' }],
    checks: [
      serialInOrder(Array.from({ length: 4 }, () => /same-va-spin: pid \d: 0 bad reads\n/)),
      serialInOrder(['all processes done: 4 exited, 0 killed\n']),
      ownAddressSpaces(4),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'once the last runnable process exits, the kernel halts until the sleeper\'s tick',
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'spin-idle' }],
    checks: [
      serialInOrder(['spin-idle: slept 60 ticks\n', 'all processes done: 2 exited, 0 killed\n']),
      haltsWhenIdle(60, 12_000_000),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'sleep(1) wakes at the next tick: twenty of them take twenty ticks',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'sleep-many' }],
    checks: [serialInOrder(['sleep-many: 20 x sleep(1) took 20 ticks\n', 'all processes done: 1 exited, 0 killed\n']), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: 'a parent in wait() sleeps instead of polling: the kernel halts while the child sleeps',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'wait-idle' }],
    checks: [
      serialInOrder(['wait-idle: the child slept 80 ticks and exited with 9\n', 'all processes done: 2 exited, 0 killed\n']),
      haltsWhenIdle(80, 5_000_000),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
