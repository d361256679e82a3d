// Lab 4: fork copies the user half, wait collects the exit status, and the
// frames of every process come back.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { FORK_ISOLATION_LINES, kernelHalfShared, noFrameLeak, userFramesPrivate } from './lib/vm.ts';

export default [
  defineTest({
    name: "fork: the child's writes are invisible to the parent and back; wait gives the child's pid and exit status",
    points: 10,
    modules: [{ program: 'fork-isolation' }],
    checks: [
      serialInOrder(FORK_ISOLATION_LINES),
      userFramesPrivate(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: '50 fork/exit/wait cycles end with as many free frames as they started with',
    points: 10,
    modules: [{ program: 'forkloop' }],
    checks: [
      serialInOrder(['exit pid 51: status 49\n', 'forkloop: 50 children forked, waited for and gone\n', 'all processes done: 51 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "after fork the child's heap and stack grow on their own; the parent's heap end, contents and stack stay",
    points: 6,
    modules: [{ program: 'fork-grow' }],
    checks: [
      serialInOrder([
        /fork-grow: child moved its heap end by 16384 and used 64 KiB of stack \(sum \d+\)\n/,
        'exit pid 2: status 3\n',
        "fork-grow: parent's heap end at +8192, 0 bytes changed; child exited with 3\n",
        /fork-grow: parent's own stack still grows \(sum \d+\)\n/,
        'all processes done: 2 exited, 0 killed\n',
      ]),
      userFramesPrivate(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'processes come and go (36 children, 36 grandchildren): the kernel half is the same at every CR3 load, and every frame comes back',
    points: 6,
    modules: [{ program: 'churn' }],
    checks: [
      serialInOrder(['churn: 36 of 36 children and their children done\n', 'all processes done: 73 exited, 0 killed\n']),
      kernelHalfShared(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
