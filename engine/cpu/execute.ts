// The instruction loop. Prefix state is cleared only after instructions that
// had prefixes (most have none), so the common path does one fetch, one
// table call and one count per instruction.

import type { CPU } from './cpu.ts';
import { table } from './decode.ts';
import './ops/index.ts';

/** Execute one instruction. A guest fault propagates as CpuException with EIP back at the instruction. */
export function step(cpu: CPU): void {
  runInstructions(cpu, cpu.retired + 1);
}

/**
 * Execute instructions until `cpu.retired` reaches `limit` or something sets
 * `cpu.stopRequested`. A fault propagates to the caller (the machine), which
 * delivers it and calls again; `cpu.eip` then points at the faulting instruction.
 */
export function runInstructions(cpu: CPU, limit: number): void {
  cpu.executing = true;
  try {
    while (cpu.retired < limit && !cpu.stopRequested) {
      cpu.ip0 = cpu.eip;
      table[cpu.fetch8()](cpu);
      if (cpu.prefixCount !== 0) cpu.clearPrefixes();
      cpu.retired++;
    }
  } catch (e) {
    cpu.eip = cpu.ip0;
    cpu.clearPrefixes();
    throw e;
  } finally {
    cpu.executing = false;
  }
}

/** The same loop, recording each instruction's EIP and CPL in a ring buffer first (tracing on). */
export function runInstructionsTraced(cpu: CPU, limit: number, ring: Int32Array, ringCpl: Uint8Array, cursor: { next: number }): void {
  cpu.executing = true;
  const mask = ring.length - 1;
  try {
    while (cpu.retired < limit && !cpu.stopRequested) {
      cpu.ip0 = cpu.eip;
      ring[cursor.next & mask] = cpu.eip;
      ringCpl[cursor.next & mask] = cpu.cpl;
      cursor.next++;
      table[cpu.fetch8()](cpu);
      if (cpu.prefixCount !== 0) cpu.clearPrefixes();
      cpu.retired++;
    }
  } catch (e) {
    cpu.eip = cpu.ip0;
    cpu.clearPrefixes();
    throw e;
  } finally {
    cpu.executing = false;
  }
}
