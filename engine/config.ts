// What a Machine is made from and what a run ends with: the engine's public contract.

/** A user program loaded as a Multiboot module. */
export interface ModuleImage {
  /** Name used in diagnostics (usually the file path). */
  name: string;
  bytes: Uint8Array;
  /** The module's command line as the kernel sees it in mods[i].string. */
  cmdline: string;
}

export interface MachineConfig {
  /** Guest RAM in MiB (default 32). */
  ramMiB?: number;
  /** The kernel: an ELF32 file with a Multiboot v1 header. */
  kernel: Uint8Array;
  /** Name used in diagnostics (usually the file path). */
  kernelName?: string;
  /** The kernel's command line (multiboot cmdline). */
  cmdline?: string;
  modules?: ModuleImage[];
  /** Bytes the guest reads from COM1. */
  serialInput?: Uint8Array;
  /**
   * The instruction budget: stop with reason "budget" once this many units are
   * used. An instruction is one unit, except a repeated string instruction
   * (REP MOVS/STOS/LODS/INS/OUTS, REPE/REPNE CMPS/SCAS), which is one per
   * element it handles (one if it handles none), so a kernel cannot hide
   * unbounded work in one instruction. Each exception or device interrupt
   * delivered is one unit more (INT n is an instruction), so neither can a
   * kernel whose handler faults again and again, retiring nothing.
   */
  maxInstructions?: number;
  /**
   * Compile hot code to JavaScript (default true). The result of a run is the
   * same either way, instruction for instruction; false interprets everything.
   */
  compile?: boolean;
  /** Executions of an address before its block is compiled (default DEFAULT_HOT_THRESHOLD, 300). */
  compileThreshold?: number;
  /** Keep the last N instructions (address, disassembly) for traces and triple-fault diagnostics; 0 = off (fastest). */
  traceInstructions?: number;
  /**
   * Start that trace at this retired-instruction count (default 0); code before
   * it may run compiled. Lets a replay reach the end of a long run quickly.
   */
  traceFrom?: number;
  /** Stop with reason "output-limit" once the guest has written this many serial/0xE9 bytes. */
  maxOutputBytes?: number;
}

/** Why a run stopped. */
export type StopReason =
  | 'debug-exit' // the guest wrote v to port 0xF4; status is (v << 1) | 1 as in QEMU
  | 'halt' // HLT with interrupts disabled: nothing can wake the CPU
  | 'budget' // the instruction budget (maxInstructions) is used up
  | 'output-limit' // maxOutputBytes written
  | 'triple-fault'
  | 'reset' // the guest reset the machine through port 0x92 or 0xCF9
  | 'unsupported' // the guest did something the lab PC does not model
  | 'stopped'; // the host asked the machine to stop

export interface RunResult {
  reason: StopReason;
  /** For 'debug-exit': (v << 1) | 1. */
  exitStatus?: number;
  /** One line for people: why the run stopped and where. */
  message: string;
  /** Instructions retired (a repeated string instruction once per execution of up to 64 Ki elements). */
  instructions: number;
  /**
   * Budget units used (see maxInstructions): `instructions`, plus the further
   * elements of repeated string instructions, plus the exceptions and device interrupts delivered.
   */
  budgetUsed: number;
}

/** Input the engine refuses before running anything: one line naming the problem and what to do. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A host exception inside the engine: a bug of ringlab's, never something the
 * guest did (a guest's faults are x86 exceptions or a stop reason). Thrown out
 * of Machine.run() so that the caller reports it as its own error, with the
 * original exception, and its stack, as `cause`.
 */
export class InternalEngineError extends Error {
  override name = 'InternalEngineError';
}

/** The whole stack of a host exception, for the maintainers' log; of an InternalEngineError, its cause's. */
export function hostStack(e: unknown): string {
  const original = e instanceof InternalEngineError && e.cause !== undefined ? e.cause : e;
  return original instanceof Error && original.stack ? original.stack : String(original);
}
