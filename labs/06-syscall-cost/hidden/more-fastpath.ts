// Lab 6, hidden: more of labs 4 and 5 through SYSENTER: sleeping, forking in
// a loop, preemption inside the vDSO, many processes, the heap and wait.
import { exitedWith, noPanic, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { noFrameLeak, ownAddressSpaces } from '../../04-virtual-memory/tests/lib/vm.ts';
import { fairShares } from '../../05-preemption/tests/lib/sched.ts';
import { systemCallsBy, sysexitsToUser, vdsoSharedReadOnly } from '../tests/lib/fastcall.ts';

export default [
  defineTest({
    name: 'sleep(n) through SYSENTER takes exactly n ticks',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'sleeper' }],
    checks: [serialInOrder(['sleeper: slept 10, 0 and 25 ticks\n', 'all processes done: 1 exited, 0 killed\n']), systemCallsBy('sysenter', 5), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: '50 fork/exit cycles through SYSENTER leak no frame: the vDSO page is never freed or copied',
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'forkloop' }],
    checks: [
      serialInOrder(['forkloop: 50 children forked, waited for and gone\n', 'all processes done: 51 exited, 0 killed\n']),
      noFrameLeak(),
      systemCallsBy('sysenter', 100),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'registers survive preemption while processes spin and call through the vDSO',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'regs' }],
    checks: [serialInOrder(['regs: child: 0 bad rounds\n', 'regs: parent: 0 bad rounds by tick > 10\n', 'all processes done: 2 exited, 0 killed\n']), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: 'three spinners still share the CPU equally, and every SYSEXIT goes back to the vDSO with IF = 1',
    points: 5,
    visibility: 'hidden',
    modules: [{ program: 'fair' }],
    checks: [serialInOrder(['fair: three spinners killed and collected\n']), fairShares(3, [2, 3, 4]), sysexitsToUser(), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: 'four copies of one program, each with its own address space and the one shared vDSO',
    points: 5,
    visibility: 'hidden',
    modules: Array.from({ length: 4 }, () => ({ program: 'same-va' })),
    checks: [
      serialInOrder(Array.from({ length: 4 }, (_, i) => new RegExp(`same-va: pid ${i + 1} reads ${(i + 1) * 1111} at `))),
      ownAddressSpaces(4),
      vdsoSharedReadOnly(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "wait's corner cases and the heap through SYSENTER, as through INT 0x80",
    points: 6,
    visibility: 'hidden',
    modules: [{ program: 'wait-cases' }, { program: 'heap' }],
    checks: [
      serialInOrder(['wait-cases: no children -10\n', 'wait-cases: killed child collected, status -1\n', 'wait-cases: both children 2, status sum 33, then -10\n']),
      serialInOrder(['heap: 64 KiB written and read back, 0 bad bytes; end moved by 65536\n', 'heap: shrinking below the start refused\n', 'heap: back to the start yes\n']),
      systemCallsBy('sysenter', 10),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
