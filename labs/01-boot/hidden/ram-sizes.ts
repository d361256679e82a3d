// Lab 1, hidden: the memory map and the total follow the machine, not a
// number the kernel was written for.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic } from '../../../grader/api/checks.ts';
import { memoryMapPrinted } from '../tests/lib/boot.ts';

export default [4, 129, 1024].map((ramMiB) =>
  defineTest({
    name: `prints the memory map of a ${ramMiB} MiB machine`,
    points: ramMiB === 4 ? 1 : 2,
    visibility: 'hidden',
    ramMiB,
    checks: [memoryMapPrinted(ramMiB), exitedWith(0), noPanic()],
  }),
);
