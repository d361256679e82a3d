// Lab 2, hidden: exceptions the public tests do not raise, each with its own
// error-code decoding: traps other than #BP, a #GP for a selector that exists
// but may not be loaded, and a #PF on a present page.
import { defineTest } from '../../../grader/api/spec.ts';
import { endedBy, noTripleFault } from '../../../grader/api/checks.ts';
import { trapReported } from '../tests/lib/interrupts.ts';

export default [
  defineTest({
    name: 'into with OF set: #OF reported with EIP after the INTO',
    points: 1,
    visibility: 'hidden',
    cmdline: 'trap=of',
    checks: [trapReported({ vector: 4, after: /^into/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'bound out of range: #BR reported at the BOUND',
    points: 1,
    visibility: 'hidden',
    cmdline: 'trap=br',
    checks: [trapReported({ vector: 5, at: /^bound/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'user data into SS: #GP with error code 0x20 (index 4)',
    points: 2,
    visibility: 'hidden',
    cmdline: 'trap=gpss',
    checks: [trapReported({ vector: 13, errorCode: 0x20, at: /^mov\s.*%ss/ }), endedBy('halt'), noTripleFault()],
  }),
  defineTest({
    name: 'a write to a read-only page: #PF with P=1 W=1 and CR2',
    points: 2,
    visibility: 'hidden',
    cmdline: 'trap=pfw',
    checks: [trapReported({ vector: 14, errorCode: 3, cr2: 0x40000000 }), endedBy('halt'), noTripleFault()],
  }),
];
