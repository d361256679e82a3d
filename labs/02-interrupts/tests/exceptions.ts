// Lab 2: exceptions raised on purpose (the kernel command line's trap=NAME)
// are reported on the handout's trap line, then the kernel panics.
import { defineTest } from '../../../grader/api/spec.ts';
import { endedBy, noTripleFault } from '../../../grader/api/checks.ts';
import { trapReported } from './lib/interrupts.ts';

export default [
  defineTest({
    name: 'divide by zero: #DE reported at the DIV',
    points: 6,
    cmdline: 'trap=de',
    checks: [trapReported({ vector: 0, at: /^div/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'ud2: #UD reported at the UD2',
    points: 5,
    cmdline: 'trap=ud',
    checks: [trapReported({ vector: 6, at: /^ud2/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'int3: #BP reported with EIP after the INT3 (a trap)',
    points: 5,
    cmdline: 'trap=bp',
    checks: [trapReported({ vector: 3, after: /^int3/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'a selector past the GDT: #GP with error code 0x50 decoded',
    points: 7,
    cmdline: 'trap=gp',
    checks: [trapReported({ vector: 13, errorCode: 0x50, at: /^mov\s.*%ds/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'an unmapped read: #PF with error code 0 and CR2 decoded',
    points: 7,
    cmdline: 'trap=pf',
    checks: [trapReported({ vector: 14, errorCode: 0, cr2: 0xc0000000 }), endedBy('halt'), noTripleFault()],
  }),
];
