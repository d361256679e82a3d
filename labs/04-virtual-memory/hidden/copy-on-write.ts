// Lab 4, hidden: fork with copy-on-write, the stretch goal. These tests
// reward it only through what it makes possible and what it must not break:
// forking a process bigger than the free memory, and a parent's write right
// after fork never reaching the child.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { noFrameLeak, userFramesPrivate } from '../tests/lib/vm.ts';

export default [
  defineTest({
    name: 'a process with 16 MiB of heap forks on a 32 MiB machine (copy-on-write), and each side keeps its own writes',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'cow-big' }],
    checks: [
      serialInOrder(['exit pid 2: status 7\n', "cow-big: 16 MiB forked; child exited with 7; parent's first byte 0\n", 'all processes done: 2 exited, 0 killed\n']),
      userFramesPrivate(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "a parent's write right after fork, through a TLB that may still say writable, does not reach the child",
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'cow-flush' }],
    checks: [
      serialInOrder(['cow-flush: child sees 1\n', 'exit pid 2: status 1\n', 'cow-flush: parent sees 2, child exited with 1\n', 'all processes done: 2 exited, 0 killed\n']),
      userFramesPrivate(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
