// Lab 6: every system call through the vDSO takes SYSENTER and SYSEXIT, and
// gives what INT $0x80 gave.
import { exitedWith, noPanic, ring3EntriesEnableInterrupts, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';

export default [
  defineTest({
    name: 'hello through the vDSO: SYSENTER in, SYSEXIT out, with IF = 1',
    points: 10,
    modules: [{ program: 'hello' }],
    checks: [
      serialInOrder(['fastcall: vdso at 0xbffbf000 uses sysenter\n', 'hello: pid 1 back from yield (0), exiting\n', 'all processes done: 1 exited, 0 killed\n']),
      ring3EntriesEnableInterrupts(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
