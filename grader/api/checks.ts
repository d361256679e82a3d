// The checks test authors reach for first: serial output, how the run ended,
// and properties of the kernel's protection set-up read from the stopped
// machine and its event stream. Each failure says what was expected, what was
// seen and, when the check can tell, where in the guest. Specs import them
// from here; each family lives in checks/.

import type { Check, CheckOutcome, TestRun } from './spec.ts';
import { fail, PASS } from './checks/outcome.ts';

export { hex, quote } from './checks/outcome.ts';
export * from './checks/serial.ts';
export * from './checks/ending.ts';
export * from './checks/processes.ts';
export * from './checks/protection.ts';
export * from './checks/ring3.ts';

/** A check from a plain predicate, for one-off conditions in a spec. */
export function check(name: string, evaluate: (run: TestRun) => CheckOutcome | boolean, points?: number): Check {
  return {
    name,
    ...(points !== undefined ? { points } : {}),
    evaluate(run) {
      const r = evaluate(run);
      return typeof r === 'boolean' ? (r ? PASS : fail(name, 'the condition did not hold')) : r;
    },
  };
}

/**
 * Marks a check as one that forbids something rather than asks for it (a
 * run that did nothing passes it), so that `lab check-spec` does not ask
 * whether it looks for nothing.
 */
export function forbidding(c: Check): Check {
  return { ...c, negative: true };
}

/** The same check carrying `points` under partial credit. */
export function worth(points: number, c: Check): Check {
  return { ...c, points, evaluate: c.evaluate.bind(c) };
}
