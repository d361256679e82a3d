// Lab 1: the physical memory map, as the loader reports it.
import { defineTest } from '../../../grader/api/spec.ts';
import { noPanic } from '../../../grader/api/checks.ts';
import { memoryMapPrinted } from './lib/boot.ts';

export default [
  defineTest({
    name: 'prints the memory map and the usable total (32 MiB)',
    points: 10,
    ramMiB: 32,
    checks: [memoryMapPrinted(32), noPanic()],
  }),
];
