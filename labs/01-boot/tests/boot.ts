// Lab 1: the kernel boots, talks on COM1 and understands the Multiboot handoff.
import { defineTest } from '../../../grader/api/spec.ts';
import { noPanic, serialContains, serialInOrder } from '../../../grader/api/checks.ts';
import { uartProgrammed } from './lib/boot.ts';

export default [
  defineTest({
    name: 'prints its banner and the Multiboot magic on COM1',
    points: 5,
    recordPortEvents: true,
    checks: [
      serialInOrder(['ringlab kernel: booting\n', /multiboot: magic 0x2badb002 flags 0x[0-9a-f]{8}\n/]),
      uartProgrammed(),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'prints the kernel command line',
    points: 5,
    cmdline: 'console=ttyS0 lab=1 %d %s',
    checks: [serialContains('cmdline: "console=ttyS0 lab=1 %d %s"\n'), noPanic()],
  }),
];
