// The machine a test runs on, made in one place. The grader's runs and the
// replays of `lab run N --test` both build it here, so a module's name and
// command line, the RAM, the budgets and the serial input cannot differ
// between the run a report describes and the run a student repeats.

import type { MachineConfig, ModuleImage } from '../../engine/config.ts';
import type { TestInputs } from './run-test.ts';
import type { TestSpec } from '../api/spec.ts';

/**
 * A user program as a Multiboot module: named after the program, with the
 * command line "program args" (the kernel names the process by its first word).
 */
export function programModule(program: string, bytes: Uint8Array, args?: string): ModuleImage {
  return { name: program, bytes, cmdline: args ? `${program} ${args}` : program };
}

/** Why the test cannot run with these programs (one it loads is not built for the lab), or undefined. */
export function unknownProgram(spec: TestSpec, programs: Record<string, Uint8Array>): string | undefined {
  const missing = spec.modules.find((m) => !programs[m.program]);
  if (!missing) return undefined;
  return `module '${missing.program}' is not a program of this lab (known: ${Object.keys(programs).sort().join(', ') || 'none'})`;
}

/** The machine of one test: the lab's kernel, the test's modules and set-up, the lab's defaults where the test gives none. */
export function testMachineConfig(spec: TestSpec, inputs: TestInputs): MachineConfig {
  const problem = unknownProgram(spec, inputs.programs);
  if (problem !== undefined) throw new Error(problem);
  return {
    kernel: inputs.kernel,
    kernelName: inputs.kernelName ?? 'kernel.elf',
    cmdline: spec.cmdline,
    modules: spec.modules.map((m) => programModule(m.program, inputs.programs[m.program]!, m.args)),
    ...(spec.serialInput ? { serialInput: spec.serialInput } : {}),
    ramMiB: spec.ramMiB ?? inputs.defaults.ramMiB,
    maxInstructions: spec.maxInstructions ?? inputs.defaults.maxInstructions,
    maxOutputBytes: spec.maxOutputBytes ?? inputs.defaults.maxOutputBytes,
    ...(spec.traceInstructions ? { traceInstructions: spec.traceInstructions } : {}),
  };
}
