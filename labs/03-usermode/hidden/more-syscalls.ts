// Lab 3, hidden: unmapped pointers, lengths that run off the buffer, unknown
// numbers; then several faulting processes in a row.
import { exitedWith, noPanic, processKilled, serialInOrder } from '../../../grader/api/checks.ts';
import { defineTest } from '../../../grader/api/spec.ts';
import { helloRuns, killReported, protectionChecks, syscallTest } from '../tests/lib/usermode.ts';

export default [
  syscallTest({
    program: 'sys-unmapped',
    what: 'write() with unmapped pointers returns -EFAULT',
    lines: ['write(NULL) = -14', 'write(unmapped) = -14', 'write(hole in the window) = -14'],
    points: 2,
    visibility: 'hidden',
  }),
  syscallTest({
    program: 'sys-hugelen',
    what: 'write() with lengths past the buffer returns -EFAULT; a length that fits works',
    lines: ['write(len 0x10000) = -14', 'write(len 0x80000000) = -14', 'write(len 0xffffffff) = -14', 'write(len 3) = 3', 'write(len 0) = 0'],
    points: 2,
    visibility: 'hidden',
  }),
  syscallTest({
    program: 'sys-badnum',
    what: 'unknown system-call numbers return -ENOSYS, a bad fd -EBADF',
    lines: ['syscall(0) = -38', 'syscall(999) = -38', 'syscall(0xffffffff) = -38', 'write(fd 7) = -9'],
    points: 2,
    visibility: 'hidden',
  }),
  defineTest({
    name: 'three faulting processes, one with bad system calls, then hello: each ends as it should',
    points: 2,
    visibility: 'hidden',
    modules: [{ program: 'cli' }, { program: 'kread' }, { program: 'sys-badnum' }, { program: 'divzero' }, { program: 'hello' }],
    checks: [
      processKilled({ pid: 1, vector: 13 }),
      killReported({ pid: 1, vector: 13, errorCode: 0 }),
      processKilled({ pid: 2, vector: 14 }),
      processKilled({ pid: 4, vector: 0 }),
      serialInOrder([/\nkilled pid 1: /, /\nkilled pid 2: /, 'sys-badnum: done\n', 'exit pid 3: status 0\n', /\nkilled pid 4: /, ...helloRuns(5), 'all processes done: 2 exited, 3 killed\n']),
      exitedWith(0),
      noPanic(),
      ...protectionChecks(),
    ],
  }),
];
