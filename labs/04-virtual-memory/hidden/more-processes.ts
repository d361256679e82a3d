// Lab 4, hidden: more of fork and wait: the corner cases of wait, two
// generations and orphans, and running out of process slots.
import { exitedWith, noKernelException, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { killedByPageFault, noFrameLeak, ownAddressSpaces } from '../tests/lib/vm.ts';

export default [
  defineTest({
    name: 'wait: -ECHILD without children, status -1 for a killed child, one child per wait',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'wait-cases' }],
    checks: [
      serialInOrder([
        'wait-cases: no children -10\n',
        'wait-cases: killed child collected, status -1\n',
        'wait-cases: both children 2, status sum 33, then -10\n',
        'all processes done: 3 exited, 1 killed\n',
      ]),
      killedByPageFault({ pid: 2, errorCode: 5, cr2: 0xc0000000 }),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a status passes through two generations, and an orphan runs to its end without leaking',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'fork-chain' }],
    checks: [
      serialInOrder([
        'fork-chain: through two generations 13\n',
        'fork-chain: orphaner exited 1\n',
        'fork-chain: orphan done\n',
        'all processes done: 5 exited, 0 killed\n',
      ]),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'fork until the kernel refuses: an error for the parent, every child collected, no frame lost',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'fork-bomb' }],
    checks: [
      serialInOrder([/fork-bomb: refused after (\d+) children, collected \1\n/, /all processes done: \d+ exited, 0 killed\n/]),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'eight copies of one program each keep their own value at the same address',
    points: 4,
    visibility: 'hidden',
    modules: Array.from({ length: 8 }, () => ({ program: 'same-va' })),
    checks: [
      serialInOrder(Array.from({ length: 8 }, (_, i) => new RegExp(`same-va: pid ${i + 1} reads ${(i + 1) * 1111} at `))),
      ownAddressSpaces(8),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a process killed with children, a grown heap and a grown stack gives every frame back; its orphans run to their ends',
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'die-rich' }],
    checks: [
      killedByPageFault({ pid: 1, errorCode: 4, cr2: 0x40000000 }),
      serialInOrder(['die-rich: orphan 0 done\n', 'die-rich: orphan 1 done\n', 'die-rich: orphan 2 done\n', 'all processes done: 3 exited, 1 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'wait() refuses to write the status into read-only code or a hole (-EFAULT) and leaves the child for the next wait',
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'wait-badptr' }],
    checks: [
      serialInOrder(['wait-badptr: into the code -14\n', 'wait-badptr: into a hole -14\n', 'wait-badptr: then pid 2, status 5; code unchanged\n', 'all processes done: 2 exited, 0 killed\n']),
      noKernelException(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
