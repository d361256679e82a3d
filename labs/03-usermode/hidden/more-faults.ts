// Lab 3, hidden: the other ways a process goes wrong, each killed at its fault.
import { killTest, STACK_GUARD } from '../tests/lib/usermode.ts';

const GP = 13;
const PF = 14;

export default [
  killTest({ program: 'sti', what: 'STI (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'hlt', what: 'HLT (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'lidt', what: 'LIDT (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'lgdt', what: 'LGDT (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'movcr3', what: 'MOV to CR3 (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'inb', what: 'IN from a port (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'wrmsr', what: 'WRMSR (#GP 0)', vector: GP, errorCode: 0, points: 2, visibility: 'hidden' }),
  killTest({ program: 'int20', what: 'INT $0x20 through a DPL-0 gate (#GP 0x102)', vector: GP, errorCode: 0x102, points: 2, visibility: 'hidden' }),
  killTest({ program: 'kwrite', what: 'writing kernel memory (#PF 7)', vector: PF, errorCode: 7, cr2: 0x00100000, points: 2, visibility: 'hidden' }),
  killTest({ program: 'uread', what: 'reading unmapped memory (#PF 4)', vector: PF, errorCode: 4, cr2: 0x40000000, points: 2, visibility: 'hidden' }),
  killTest({ program: 'kjump', what: 'jumping into kernel code (#PF 5 at the target)', vector: PF, errorCode: 5, cr2: 0x00100000, points: 2, visibility: 'hidden' }),
  killTest({ program: 'stack', what: 'running off the end of its stack (#PF 6 below the stack page)', vector: PF, errorCode: 6, cr2: STACK_GUARD, points: 2, visibility: 'hidden' }),
  killTest({ program: 'ud2', what: 'UD2 (#UD)', vector: 6, points: 2, visibility: 'hidden' }),
  killTest({ program: 'kdsel', what: 'loading the kernel data selector into DS (#GP 0x10)', vector: GP, errorCode: 0x10, points: 2, visibility: 'hidden' }),
  killTest({ program: 'kcsjmp', what: 'a far jump to the kernel code selector (#GP 0x08)', vector: GP, errorCode: 0x08, points: 2, visibility: 'hidden' }),
  killTest({ program: 'iret0', what: 'IRET to ring 0 (#GP 0x08)', vector: GP, errorCode: 0x08, points: 2, visibility: 'hidden' }),
];
