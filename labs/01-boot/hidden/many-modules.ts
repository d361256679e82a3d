// Lab 1, hidden: more modules, odd command lines, and modules with a small RAM.
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic, serialContains } from '../../../grader/api/checks.ts';
import { memoryMapPrinted, modulesPrinted } from '../tests/lib/boot.ts';

export default [
  defineTest({
    name: 'lists five modules in the order they were loaded',
    points: 3,
    visibility: 'hidden',
    modules: [
      { program: 'blob', args: 'first' },
      { program: 'hello' },
      { program: 'blob', args: '"quoted" 100% a=b' },
      { program: 'hello', args: 'x' },
      { program: 'blob' },
    ],
    checks: [
      modulesPrinted([
        { cmdline: 'blob first' },
        { cmdline: 'hello' },
        { cmdline: 'blob "quoted" 100% a=b' },
        { cmdline: 'hello x' },
        { cmdline: 'blob' },
      ]),
      exitedWith(0),
      noPanic(),
    ],
  }),
  defineTest({
    name: 'modules, a command line and 8 MiB of RAM together',
    points: 2,
    visibility: 'hidden',
    ramMiB: 8,
    cmdline: 'init=/hello quiet',
    modules: [{ program: 'hello', args: '--verbose' }],
    checks: [
      serialContains('cmdline: "init=/hello quiet"\n'),
      memoryMapPrinted(8),
      modulesPrinted([{ cmdline: 'hello --verbose' }]),
      exitedWith(0),
      noPanic(),
    ],
  }),
];
