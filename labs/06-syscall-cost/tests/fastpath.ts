// Lab 6: every system call through the vDSO takes SYSENTER and SYSEXIT, and
// gives what INT $0x80 gave: the same programs, the same lines.
import { exitedWith, noPanic, ring3EntriesEnableInterrupts, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { FORK_ISOLATION_LINES, noFrameLeak } from '../../04-virtual-memory/tests/lib/vm.ts';
import { systemCallsBy, sysexitsToUser } from './lib/fastcall.ts';

export default [
  defineTest({
    name: 'hello through the vDSO: SYSENTER in, SYSEXIT out to ring 3 with IF = 1',
    points: 10,
    modules: [{ program: 'hello' }],
    checks: [
      serialInOrder(['fastcall: vdso at 0xbffbf000 uses sysenter\n', 'hello: pid 1 back from yield (0), exiting\n', 'all processes done: 1 exited, 0 killed\n']),
      systemCallsBy('sysenter', 3),
      sysexitsToUser(),
      ring3EntriesEnableInterrupts(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "lab 4's fork isolation through SYSENTER: the same lines as through INT 0x80",
    points: 8,
    modules: [{ program: 'fork-isolation' }],
    checks: [
      serialInOrder(FORK_ISOLATION_LINES),
      systemCallsBy('sysenter', 5),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "lab 5's preemption and kill through SYSENTER: each process enters on its own kernel stack (SYSENTER_ESP switched)",
    points: 10,
    modules: [{ program: 'spin-print' }, { program: 'killer' }],
    checks: [
      serialInOrder(['spin-print: line 3\n', 'spin-print: spinner collected, status -1\n']),
      serialInOrder(['killer: kill sleeper 0, spinner 0, nobody -3\n', 'killer: both ended within 10 ticks of the kills\n', 'killer: the suicide ended with -1\n']),
      serialInOrder(['all processes done: 2 exited, 4 killed\n']),
      systemCallsBy('sysenter', 10),
      sysexitsToUser(),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'pointers into the kernel half are refused with -EFAULT through SYSENTER as through INT 0x80',
    points: 6,
    modules: [{ program: 'kptr' }],
    checks: [
      serialInOrder(['kptr: kernel text -14\n', 'kptr: across TASK_SIZE -14\n', 'kptr: wait into the kernel -14\n', 'kptr: then wait collects the child, status 5\n']),
      systemCallsBy('sysenter', 5),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'a system call through the vDSO keeps every register but EAX, and ESP',
    points: 8,
    modules: [{ program: 'abi' }],
    checks: [serialInOrder(['abi: 50 calls through the vDSO, 0 changed a register\n', 'all processes done: 1 exited, 0 killed\n']), systemCallsBy('sysenter', 50), exitedWith(0), noPanic()],
  }),
  defineTest({
    name: 'with vdso=int80 on the command line the same programs take INT 0x80, and print the same lines',
    points: 6,
    cmdline: 'vdso=int80',
    modules: [{ program: 'hello' }, { program: 'fork-isolation' }],
    checks: [
      serialInOrder(['fastcall: vdso at 0xbffbf000 uses int 0x80\n', 'hello: pid 1 back from yield (0), exiting\n']),
      serialInOrder(['fork-isolation: parent sees 3 and 30; child 3 (the one forked) exited with 42\n', 'all processes done: 3 exited, 0 killed\n']),
      systemCallsBy('int80', 5),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
