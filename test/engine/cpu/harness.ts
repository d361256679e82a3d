// A bare CPU for instruction-level tests: flat 32-bit segments, ring 0, paging off.
import { CPU } from '../../../engine/cpu/cpu.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { PortBus } from '../../../engine/devices/ports.ts';
import { CpuException } from '../../../engine/cpu/exceptions.ts';

export const CODE = 0x1000;
export const STACK_TOP = 0x8000;

export function makeCpu(ramBytes = 1 << 20): CPU {
  const cpu = new CPU(new Uint8Array(ramBytes), new PortBus());
  for (let s = 0; s < 6; s++) {
    cpu.segLimit[s] = -1;
    cpu.segAccess[s] = 0;
  }
  cpu.r32[4] = STACK_TOP;
  cpu.updateAccessMasks();
  return cpu;
}

/**
 * Place `code` at CODE and execute until EIP leaves it (or `maxSteps`).
 * Returns the CPU, or the exception that stopped it as `fault`.
 */
export function run(code: number[], setup?: (cpu: CPU) => void, maxSteps = 10_000): CPU & { caught?: CpuException } {
  const cpu: CPU & { caught?: CpuException } = makeCpu();
  cpu.ram.set(code, CODE);
  cpu.eip = CODE;
  setup?.(cpu);
  for (let i = 0; i < maxSteps && cpu.eip >= CODE && cpu.eip < CODE + code.length; i++) {
    try {
      step(cpu);
    } catch (e) {
      if (e instanceof CpuException) {
        cpu.caught = e;
        break;
      }
      throw e;
    }
  }
  return cpu;
}

/** EFLAGS with the given status flags only, for comparisons. */
export function statusFlags(cpu: CPU): number {
  return cpu.getFlags() & 0x8d5;
}
