// The instruction loop: reset per-instruction state, dispatch, count.

import type { CPU } from './cpu.ts';
import { dispatch } from './decode.ts';
import './ops/index.ts';

/** Execute one instruction. A guest fault propagates as CpuException with EIP back at the instruction. */
export function step(cpu: CPU): void {
  cpu.ip0 = cpu.eip;
  cpu.o16 = false;
  cpu.a16 = false;
  cpu.segOvr = -1;
  cpu.rep = 0;
  cpu.prefixCount = 0;
  try {
    dispatch(cpu);
  } catch (e) {
    cpu.eip = cpu.ip0;
    throw e;
  }
}

/**
 * Execute up to `count` instructions, stopping early when something requests it.
 * Returns how many retired. Faults propagate to the caller (the machine), which
 * delivers them and calls again; `cpu.eip` then points at the faulting instruction.
 */
export function runInstructions(cpu: CPU, count: number): number {
  let done = 0;
  try {
    while (done < count && !cpu.stopRequested) {
      cpu.ip0 = cpu.eip;
      cpu.o16 = false;
      cpu.a16 = false;
      cpu.segOvr = -1;
      cpu.rep = 0;
      cpu.prefixCount = 0;
      dispatch(cpu);
      done++;
    }
  } catch (e) {
    cpu.eip = cpu.ip0;
    cpu.retired += done;
    throw e;
  }
  cpu.retired += done;
  return done;
}
