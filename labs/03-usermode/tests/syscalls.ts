// Lab 3: system calls check every pointer they are given.
import { syscallTest } from './lib/usermode.ts';

export default [
  syscallTest({
    program: 'sys-kptr',
    what: 'write() with pointers into the kernel returns -EFAULT and the process carries on',
    lines: ['write(kernel text) = -14', 'write(multiboot info) = -14', 'write(ending in the user window) = -14', 'write(top of memory) = -14'],
    points: 9,
  }),
];
