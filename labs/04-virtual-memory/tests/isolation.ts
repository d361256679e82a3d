// Lab 4: every process has its own user space, and the kernel's gigabyte is
// in every one of them but out of ring 3's reach.
import { exitedWith, hex, kernelNotUserAccessible, noKernelException, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { ENTRY, KERNBASE, kernelHalfShared, killedByPageFault, noFrameLeak, ownAddressSpaces, userFramesPrivate } from './lib/vm.ts';

export default [
  defineTest({
    name: 'two processes write different values at the same virtual address and each reads its own',
    points: 10,
    modules: [{ program: 'same-va' }, { program: 'same-va' }],
    checks: [
      serialInOrder([
        `exec pid 1: same-va entry ${hex(ENTRY)}\n`, `exec pid 2: same-va entry ${hex(ENTRY)}\n`,
        /same-va: pid 1 reads 1111 at 0x0804[0-9a-f]{4}\n/, /same-va: pid 2 reads 2222 at 0x0804[0-9a-f]{4}\n/,
        'all processes done: 2 exited, 0 killed\n',
      ]),
      ownAddressSpaces(2),
      kernelHalfShared(),
      userFramesPrivate(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'ring 3 can neither read nor write the kernel half (#PF with U=1), and the next process runs',
    points: 10,
    modules: [{ program: 'kread-high' }, { program: 'kwrite-high' }, { program: 'hello' }],
    checks: [
      killedByPageFault({ pid: 1, errorCode: 5, cr2: KERNBASE + 0x100000 }),
      killedByPageFault({ pid: 2, errorCode: 7, cr2: KERNBASE }),
      serialInOrder(['hello: pid 3 back from yield (0), exiting\n', 'all processes done: 1 exited, 2 killed\n']),
      kernelNotUserAccessible({ from: KERNBASE }),
      kernelHalfShared(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'no identity map is left: physical 1 MiB is not mapped at 0x00100000 in a process (#PF P=0)',
    points: 6,
    modules: [{ program: 'lowread' }, { program: 'hello' }],
    checks: [
      killedByPageFault({ pid: 1, errorCode: 4, cr2: 0x00100000 }),
      serialInOrder(['hello: pid 2 back from yield (0), exiting\n', 'all processes done: 1 exited, 1 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'write() refuses buffers that run into unmapped pages or the kernel half (-EFAULT), and the kernel never faults on them',
    points: 5,
    modules: [{ program: 'badptr' }],
    checks: [
      serialInOrder([
        "badptr: off the heap's end -14\n",
        'badptr: a hole in user space -14\n',
        'badptr: address 0 -14\n',
        "badptr: off the stack's top -14\n",
        'badptr: the last 8 bytes of the heap 8\n',
        'all processes done: 1 exited, 0 killed\n',
      ]),
      noKernelException(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
