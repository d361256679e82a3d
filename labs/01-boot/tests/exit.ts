// Lab 1: the kernel finishes and leaves through isa-debug-exit.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic, noTripleFault, serialInOrder } from '../../../grader/api/checks.ts';

export default [
  defineTest({
    name: 'prints the gdt line and "lab1: ok", then exits with code 0',
    points: 5,
    checks: [
      serialInOrder([/gdt: cs 0x0008 ds 0x0010 ss 0x0010\n/, 'lab1: ok\n']),
      exitedWith(0),
      noTripleFault(),
      noPanic(),
    ],
  }),
];
