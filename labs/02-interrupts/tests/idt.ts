// Lab 2: the interrupt descriptor table.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, idtGatesDpl, noPanic, noTripleFault } from '../../../grader/api/checks.ts';
import { idtInstalled } from './lib/interrupts.ts';

export default [
  defineTest({
    name: 'installs 256 interrupt gates to entry stubs, DPL 0 except 0x80 (DPL 3)',
    points: 10,
    checks: [idtInstalled(), idtGatesDpl({ allowUser: [0x80] }), exitedWith(0), noPanic(), noTripleFault()],
  }),
];
