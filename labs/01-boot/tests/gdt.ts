// Lab 1: the kernel's own GDT, and the segment registers loaded from it.
import { defineTest } from '../../../grader/api/spec.ts';
import { noTripleFault } from '../../../grader/api/checks.ts';
import { gdtLayout, RELOAD_TRACE, segmentsReloaded } from './lib/boot.ts';

export default [
  defineTest({
    name: 'installs a GDT with kernel, user and TSS descriptors',
    points: 10,
    checks: [gdtLayout(), noTripleFault()],
  }),
  defineTest({
    name: 'reloads CS with a far jump and the data segments after LGDT',
    points: 5,
    traceInstructions: RELOAD_TRACE,
    checks: [segmentsReloaded(), noTripleFault()],
  }),
];
