// Lab 5, hidden: processes that end while others sleep, wait or crowd in.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { noFrameLeak } from '../../04-virtual-memory/tests/lib/vm.ts';

export default [
  defineTest({
    name: 'a parent killed while it waits ends with -1; its orphan runs to its end',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'kill-waiter' }],
    checks: [
      serialInOrder(['kill-waiter: child kills its parent: 0\n', 'killed pid 1: kill()\n', 'kill-waiter: orphan done\n', 'all processes done: 1 exited, 1 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'the parent exits while its children sleep; they wake in turn and end',
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'exit-sleep' }],
    checks: [
      serialInOrder(['exit-sleep: parent exits\n', 'exit-sleep: child 1 woke\n', 'exit-sleep: child 2 woke\n', 'exit-sleep: child 3 woke\n', 'all processes done: 4 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: '30 children that sleep, spin and exit are all collected with their statuses, every frame back',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'crowd' }],
    checks: [
      serialInOrder(['crowd: 30 children collected, status sum 435\n', 'all processes done: 31 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'five children preempted at different points exit with their own codes, and wait gives each its own',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'statuses' }],
    checks: [
      serialInOrder(['statuses: 5 of 5 children collected with their own code\n', 'all processes done: 6 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
