// Lab 5: the timer takes the CPU back from a process that never gives it up,
// fairly, onto a kernel stack of the process's own.
import { exitedWith, noPanic, ring3EntriesEnableInterrupts, ring3EntriesIopl0, serialInOrder, timerPreempts } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { noFrameLeak } from '../../04-virtual-memory/tests/lib/vm.ts';
import { fairShares, kernelStackPerProcess, switchesEveryQuantum } from './lib/sched.ts';

export default [
  defineTest({
    name: 'a spinner cannot starve a printer: the timer takes the CPU back',
    points: 10,
    modules: [{ program: 'spin-print' }],
    checks: [
      serialInOrder(['spin-print: line 0\n', 'spin-print: line 3\n', 'spin-print: kill 0\n', 'spin-print: spinner collected, status -1\n', 'all processes done: 1 exited, 1 killed\n']),
      ring3EntriesEnableInterrupts(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'three spinners share the CPU equally, within a quantum, as the machine counts the ticks',
    points: 10,
    modules: [{ program: 'fair' }],
    checks: [
      serialInOrder(['fair: three spinners killed and collected\n', 'all processes done: 1 exited, 3 killed\n']),
      fairShares(3, [2, 3, 4]),
      switchesEveryQuantum(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'every trap from ring 3 lands on the kernel stack of the process it interrupted; every return to ring 3 has IF = 1 and IOPL 0',
    points: 10,
    modules: [{ program: 'fair' }],
    checks: [
      kernelStackPerProcess(4),
      ring3EntriesEnableInterrupts(),
      ring3EntriesIopl0(),
      serialInOrder(['all processes done: 1 exited, 3 killed\n']),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: "a process's registers, EBX, ESI, EDI and EBP included, survive every preemption",
    points: 8,
    modules: [{ program: 'regs' }],
    checks: [
      serialInOrder(['regs: child: 0 bad rounds\n', 'regs: parent: 0 bad rounds by tick > 10\n', 'all processes done: 2 exited, 0 killed\n']),
      timerPreempts(10),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: '50 fork/exit/wait cycles under the timer give back every frame, kernel stacks included',
    points: 8,
    modules: [{ program: 'forkloop' }],
    checks: [
      serialInOrder(['forkloop: 50 children forked, waited for and gone\n', 'all processes done: 51 exited, 0 killed\n']),
      noFrameLeak(),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'yield() gives the rest of the slice away: two yielders print strictly in turn',
    points: 8,
    modules: [{ program: 'pingpong' }],
    checks: [
      serialInOrder([...Array.from({ length: 5 }, (_, k) => [`pingpong: ping ${k}\n`, `pingpong: pong ${k}\n`]).flat(), 'all processes done: 2 exited, 0 killed\n']),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
