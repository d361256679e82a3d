// Lab 1: the modules the loader put in memory (the user programs of later labs).
import { defineTest } from '../../../grader/api/spec.ts';
import { noPanic } from '../../../grader/api/checks.ts';
import { modulesPrinted } from './lib/boot.ts';

export default [
  defineTest({
    name: 'prints "modules: 0" when booted without modules',
    points: 3,
    checks: [modulesPrinted([]), noPanic()],
  }),
  defineTest({
    name: 'lists two modules with their addresses and command lines',
    points: 7,
    modules: [{ program: 'hello', args: 'one two' }, { program: 'blob' }],
    checks: [modulesPrinted([{ cmdline: 'hello one two' }, { cmdline: 'blob' }]), noPanic()],
  }),
];
