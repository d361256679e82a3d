// Checks on how the run ended: the exit code, the stop reason, no triple fault,
// no exception in the kernel.

import type { StopReason } from '../../../engine/config.ts';
import { vectorName } from '../../../engine/cpu/exceptions.ts';
import type { InterruptEvent } from '../../../engine/events.ts';
import type { RunEnd } from '../../model.ts';
import { firstLine } from '../../messages.ts';
import type { Check } from '../spec.ts';
import { endSummary, endWhere, fail, hex, PASS } from './outcome.ts';

/** The guest wrote `code` to the isa-debug-exit port (the engine reports (code << 1) | 1, as QEMU exits). */
export function exitedWith(code: number): Check {
  const status = ((code << 1) | 1) >>> 0;
  return {
    name: `the kernel exits through isa-debug-exit with code ${code}`,
    evaluate(run) {
      if (run.result.reason === 'debug-exit' && run.result.exitStatus === status) return PASS;
      const observed = run.result.reason === 'debug-exit' && run.result.exitStatus !== undefined
        ? `it exited with code ${run.result.exitStatus >>> 1} (status ${run.result.exitStatus})`
        : endSummary(run);
      return fail(`debug-exit with code ${code} (status ${status})`, observed, endWhere(run));
    },
  };
}

export function endedBy(reason: StopReason | RunEnd): Check {
  return {
    name: `the run ends by ${reason}`,
    evaluate(run) {
      if (run.result.reason === reason) return PASS;
      return fail(`the run to end by ${reason}`, endSummary(run), endWhere(run));
    },
  };
}

export function noTripleFault(): Check {
  return {
    negative: true,
    name: 'no triple fault',
    evaluate(run) {
      if (run.result.reason !== 'triple-fault') return PASS;
      return fail('the kernel handles its exceptions (no triple fault)', firstLine(run.result.message), endWhere(run));
    },
  };
}

/**
 * The CPU raised no exception in ring 0: the kernel checked every pointer a
 * system call handed it before using it, rather than faulting on one. Read
 * from the events, so a kernel whose fault handler prints nothing is caught
 * too. Not for labs that make the kernel fault on purpose (lab 2).
 */
export function noKernelException(): Check {
  return {
    negative: true,
    name: 'the kernel itself raises no exception (no fault in ring 0)',
    role: { cause: true },
    evaluate(run) {
      const e = run.events.find((x): x is InterruptEvent => x.type === 'interrupt' && x.kind === 'exception' && x.fromCpl === 0);
      if (e === undefined) return PASS;
      const why = e.detail !== undefined ? `: ${e.detail}` : '';
      const cr2 = e.vector === 14 && e.cr2 !== undefined ? ` (CR2 ${hex(e.cr2)})` : '';
      return fail('no exception raised in ring 0', `${vectorName(e.vector)} in ring 0 at ${hex(e.fromCs, 4)}:${hex(e.fromEip)}${cr2} at instruction ${e.icount}${why}`, run.locate(e));
    },
  };
}
