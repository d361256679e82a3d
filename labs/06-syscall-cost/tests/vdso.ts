// Lab 6: the vDSO is the kernel's code in every process, read-only; and
// SYSENTER's entry trusts nothing the user left in registers.
import { exitedWith, noKernelException, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { KERNBASE, killedByPageFault } from '../../04-virtual-memory/tests/lib/vm.ts';
import { VDSO_BASE, vdsoSharedReadOnly } from './lib/fastcall.ts';

export default [
  defineTest({
    name: 'the vDSO is one read-only page in every process: a write to it kills the writer, and the next process runs',
    points: 8,
    modules: [{ program: 'vdso-write' }, { program: 'hello' }],
    checks: [
      serialInOrder([/vdso-write: its first byte is 0x[0-9a-f]+\n/]),
      killedByPageFault({ pid: 1, errorCode: 7, cr2: VDSO_BASE }),
      serialInOrder(['hello: pid 2 back from yield (0), exiting\n', 'all processes done: 1 exited, 1 killed\n']),
      vdsoSharedReadOnly(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'SYSENTER with EBP in the kernel half or at nothing: the kernel reads neither for the process, which faults in its own code',
    points: 8,
    modules: [{ program: 'rawenter' }, { program: 'rawenter-hole' }, { program: 'hello' }],
    checks: [
      serialInOrder(['rawenter: SYSENTER with EBP at 0xc0100000\n']),
      killedByPageFault({ pid: 1, errorCode: 5, cr2: KERNBASE + 0x100000 }),
      killedByPageFault({ pid: 2, errorCode: 4, cr2: 0x30000000 }),
      noKernelException(),
      serialInOrder(['hello: pid 3 back from yield (0), exiting\n', 'all processes done: 1 exited, 2 killed\n']),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
