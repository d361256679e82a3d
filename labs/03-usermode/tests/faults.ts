// Lab 3: a process that does what ring 3 may not is killed at that
// instruction with one kernel line, and the next process still runs.
import { killTest } from './lib/usermode.ts';

export default [
  killTest({ program: 'cli', what: 'CLI (#GP 0)', vector: 13, errorCode: 0, points: 5 }),
  killTest({ program: 'outb', what: 'OUT to a port (#GP 0)', vector: 13, errorCode: 0, points: 5 }),
  killTest({ program: 'int3', what: 'INT3 through a DPL-0 gate (#GP 0x1a)', vector: 13, errorCode: 0x1a, points: 5 }),
  killTest({ program: 'kread', what: 'reading kernel memory (#PF 5)', vector: 14, errorCode: 5, cr2: 0x00100000, points: 5 }),
  killTest({ program: 'uwrite', what: 'writing unmapped memory (#PF 6)', vector: 14, errorCode: 6, cr2: 0x40000000, points: 5 }),
  killTest({ program: 'rotext', what: 'writing its own read-only code (#PF 7)', vector: 14, errorCode: 7, cr2: { from: 0x08048000, to: 0x0804ffff }, points: 5 }),
  killTest({ program: 'divzero', what: 'dividing by zero (#DE)', vector: 0, points: 5 }),
];
