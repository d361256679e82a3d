// Lab 2: the system-call gate, called from ring 0 for now.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic, noTripleFault, serialInOrder } from '../../../grader/api/checks.ts';

export default [
  defineTest({
    name: 'int $0x80 prints "syscall 42", returns, and the kernel exits cleanly',
    points: 6,
    cmdline: 'int80',
    checks: [
      serialInOrder(['\nsyscall 42\n', 'selftest: back from int 0x80\n', 'lab2: ok\n']),
      exitedWith(0),
      noPanic(),
      noTripleFault(),
    ],
  }),
];
