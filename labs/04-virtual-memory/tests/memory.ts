// Lab 4: the stack grows on demand within its limit, the heap moves with
// sbrk, a freed page is really gone (INVLPG), and running out of memory is
// the process's problem, not the kernel's.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { killedByPageFault, noFrameLeak, USTACK_LIMIT } from './lib/vm.ts';

export default [
  defineTest({
    name: 'the stack grows down on demand, and a stack past its 256 KiB limit is killed',
    points: 8,
    modules: [{ program: 'stack-grow' }, { program: 'stack-overflow' }],
    checks: [
      serialInOrder(['stack-grow: 128 KiB of stack, sum 8256\n', 'exit pid 1: status 0\n', 'stack-overflow: going down\n']),
      // A write (W=1, U=1) to a page that is not there, below the limit.
      killedByPageFault({ pid: 2, errorCode: 6, cr2: { from: USTACK_LIMIT - 0x10000, to: USTACK_LIMIT - 1 } }),
      serialInOrder(['all processes done: 1 exited, 1 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a heap page given back with sbrk is unmapped at once (INVLPG): reading it kills the process',
    points: 6,
    modules: [{ program: 'sbrk-shrink' }],
    checks: [
      serialInOrder(['sbrk-shrink: page given back, reading it\n']),
      killedByPageFault({ pid: 1, errorCode: 4, cr2: { from: 0x08048000, to: 0x0804ffff } }),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a process that allocates without bound gets an error from sbrk; the kernel survives and the next program runs',
    points: 6,
    modules: [{ program: 'hog' }, { program: 'hello' }],
    checks: [
      serialInOrder([/hog: sbrk refused after \d+ pages\n/, 'hello: pid 2 back from yield (0), exiting\n', 'all processes done: 2 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'the stack grows where the fault is: a 48 KiB frame touched at its bottom first',
    points: 5,
    modules: [{ program: 'stack-jump' }],
    checks: [
      serialInOrder([/stack-jump: 48 KiB frame touched from its bottom, sum \d+\n/, 'all processes done: 1 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "a process's new pages are zero: nothing another process left in a frame can be read",
    points: 5,
    modules: [{ program: 'fresh' }],
    checks: [
      serialInOrder(['fresh: child exited with 0; new heap and stack after it, 0 nonzero bytes\n', 'all processes done: 2 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
