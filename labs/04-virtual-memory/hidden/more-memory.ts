// Lab 4, hidden: more of the address space: the heap, .bss, read-only code,
// and pointers into the kernel half handed to system calls.
import { exitedWith, kernelNotUserAccessible, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { KERNBASE, killedByPageFault, noFrameLeak } from '../tests/lib/vm.ts';

export default [
  defineTest({
    name: 'sbrk: 64 KiB of heap reads back what was written; sbrk(0) is the end; the heap cannot shrink below its start',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'heap' }],
    checks: [
      serialInOrder([
        'heap: 64 KiB written and read back, 0 bad bytes; end moved by 65536\n',
        'heap: shrinking below the start refused\n',
        'heap: back to the start yes\n',
        'all processes done: 1 exited, 0 killed\n',
      ]),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a 1 MiB .bss is mapped in full and zero',
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'big-bss' }],
    checks: [serialInOrder([/big-bss: 1 MiB of \.bss at 0x0804[0-9a-f]{4}, 0 nonzero pages\n/, 'all processes done: 1 exited, 0 killed\n']), noFrameLeak(), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: "a program's own code is read-only in its address space (#PF 7)",
    points: 4,
    visibility: 'hidden',
    modules: [{ program: 'text-ro' }, { program: 'hello' }],
    checks: [
      killedByPageFault({ pid: 1, errorCode: 7, cr2: { from: 0x08048000, to: 0x08048fff } }),
      serialInOrder(['hello: pid 2 back from yield (0), exiting\n', 'all processes done: 1 exited, 1 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'write() and wait() refuse pointers into the kernel half and across TASK_SIZE with -EFAULT',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'kptr' }],
    checks: [
      serialInOrder([
        'kptr: kernel text -14\n',
        'kptr: across TASK_SIZE -14\n',
        'kptr: wait into the kernel -14\n',
        'kptr: then wait collects the child, status 5\n',
        'all processes done: 2 exited, 0 killed\n',
      ]),
      kernelNotUserAccessible({ from: KERNBASE }),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
