// Lab 3: the well-behaved programs. hello enters ring 3 by IRET, makes its
// four system calls and exits; two yielders take turns.
import { check, exitedWith, hex, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { helloRuns, protectionChecks, tssReady } from './lib/usermode.ts';

const ENTRY = 0x08048000;

export default [
  defineTest({
    name: 'hello runs in ring 3, makes system calls and exits; the kernel prints the summary and exits',
    points: 10,
    modules: [{ program: 'hello' }],
    checks: [
      serialInOrder([`exec pid 1: hello entry ${hex(ENTRY)}\n`, ...helloRuns(1), 'all processes done: 1 exited, 0 killed\n']),
      check('the kernel enters the program at its entry point in ring 3 by IRET (CS 0x001b)', (run) => {
        const e = run.events.find((x) => x.type === 'iret' && x.toCpl === 3);
        if (!e || e.type !== 'iret') return { passed: false, expected: 'an IRET into ring 3', observed: 'the CPU never entered ring 3 by IRET' };
        if (e.toEip !== ENTRY || e.toCs !== 0x1b) {
          return { passed: false, expected: `the first IRET to ring 3 lands at 0x001b:${hex(ENTRY)}`, observed: `it landed at ${hex(e.toCs, 4)}:${hex(e.toEip)}` };
        }
        return { passed: true };
      }),
      tssReady(),
      exitedWith(0),
      noPanic(),
      ...protectionChecks(),
    ],
  }),
  defineTest({
    name: 'two processes that yield take turns, round robin, and exit with their pids',
    points: 6,
    modules: [{ program: 'yielder' }, { program: 'yielder' }],
    checks: [
      serialInOrder([
        'yielder: pid 1 round 0\n', 'yielder: pid 2 round 0\n',
        'yielder: pid 1 round 1\n', 'yielder: pid 2 round 1\n',
        'yielder: pid 1 round 2\n', 'yielder: pid 2 round 2\n',
        'exit pid 1: status 1\n', 'exit pid 2: status 2\n',
        'all processes done: 2 exited, 0 killed\n',
      ]),
      exitedWith(0),
      noPanic(),
      ...protectionChecks(),
    ],
  }),
];
