// Lab 5: sleep wakes at its tick, exactly (time on the lab PC is virtual),
// and a kernel with nothing to run halts instead of spinning.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { haltsWhenIdle } from './lib/sched.ts';

export default [
  defineTest({
    name: 'sleep(n) returns after exactly n ticks, and sleep(0) at once',
    points: 8,
    modules: [{ program: 'sleeper' }],
    checks: [
      serialInOrder(['sleeper: slept 10, 0 and 25 ticks\n', 'all processes done: 1 exited, 0 killed\n']),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'while every process sleeps the kernel halts with interrupts on: 50 ticks pass in few instructions',
    points: 8,
    modules: [{ program: 'idle' }],
    checks: [
      serialInOrder(['exit pid 2: status 3\n', 'idle: slept 50 ticks; child slept 35 and exited with 3\n', 'all processes done: 2 exited, 0 killed\n']),
      haltsWhenIdle(50, 5_000_000),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'four sleepers wake in the order of their ticks, each after exactly its own',
    points: 8,
    modules: [{ program: 'order' }],
    checks: [
      serialInOrder([
        'order: child 1 slept 10 ticks\n',
        'order: child 3 slept 20 ticks\n',
        'order: child 2 slept 30 ticks\n',
        'order: child 0 slept 40 ticks\n',
        'order: all four woke\n',
        'all processes done: 5 exited, 0 killed\n',
      ]),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
