// Lab 2: the PICs remapped, the PIT at 100 Hz, and timer interrupts that
// keep coming (each one acknowledged with an EOI).
import { defineTest } from '../../../grader/api/spec.ts';
import { exitedWith, noPanic, noTripleFault } from '../../../grader/api/checks.ts';
import { pitAt100Hz, ticksPrinted, timerOnVector0x20 } from './lib/interrupts.ts';

export default [
  defineTest({
    name: 'timer interrupts arrive on vector 0x20 (PIC remapped), PIT at 100 Hz',
    points: 6,
    cmdline: 'ticks=5',
    recordPortEvents: true,
    checks: [timerOnVector0x20(5), pitAt100Hz(), noPanic(), noTripleFault()],
  }),
  defineTest({
    name: 'ticks=10: waits for ten ticks, prints "ticks: 10" and exits',
    points: 8,
    cmdline: 'ticks=10',
    checks: [ticksPrinted(10), timerOnVector0x20(10), exitedWith(0), noPanic(), noTripleFault()],
  }),
];
