// The typed event stream a grader or `lab run --trace` watches. Every event
// carries the retired-instruction count at which it happened and the
// modelled cycle count (cpu/cycle-model.ts), so a check can measure a path in
// cycles: from a sysenter event to the sysexit that follows, say. Emitting is
// guarded by a null check on rare paths only, so a machine nobody watches pays
// nothing on the hot path.

export interface EventBase {
  /** Retired instructions when the event happened. */
  icount: number;
  /**
   * Modelled cycles when the event happened: what RDTSC would read, less the
   * time HLT skipped and any WRMSR offset. An event an instruction causes
   * counts that instruction's whole cost (a sysenter event includes
   * SYSENTER's cycles); a delivery's event, its delivery's.
   */
  cycles: number;
}

export interface InterruptEvent extends EventBase {
  type: 'interrupt';
  vector: number;
  /** 'exception' (raised by an instruction), 'software' (INT n/INT3/INTO), 'external' (a device through the PIC). */
  kind: 'exception' | 'software' | 'external';
  /** -1 when none was pushed. */
  errorCode: number;
  /** CR2 at delivery, for page faults. */
  cr2?: number;
  fromCpl: number;
  toCpl: number;
  /** The CS:EIP that was interrupted (and pushed). */
  fromCs: number;
  fromEip: number;
  /** The handler. */
  toCs: number;
  toEip: number;
  /** 'task': a task gate switched to the task its TSS holds (SDM 7.3). */
  gate: 'interrupt' | 'trap' | 'task';
  /**
   * The linear address of the frame the CPU pushed (the handler's SS base +
   * ESP) and its size in bytes: from an outer ring it lies just below the
   * SSn:ESPn the CPU read from the TSS, so a check can tell which stack a
   * trap from ring 3 really landed on.
   */
  frameAt: number;
  frameBytes: number;
  /** Why the exception was raised, when the engine knows (e.g. "the page is supervisor-only"). */
  detail?: string;
  /**
   * Set when this device interrupt woke the CPU from HLT: the virtual time it
   * slept, in instruction times. `icount` stood still meanwhile, so a
   * schedule adds these up to place later events in virtual time.
   */
  halted?: number;
}

export interface PrivilegeChangeEvent extends EventBase {
  /**
   * 'far-call': a far CALL through a call gate into a more privileged ring (SDM 5.8.5).
   * 'task-switch': a far JMP or CALL to a TSS or task gate, or IRET with NT set, switched tasks (SDM 7.3),
   * whether or not CPL changed; a switch through a task gate in the IDT is an 'interrupt' with gate 'task'.
   */
  type: 'iret' | 'far-call' | 'far-return' | 'sysenter' | 'sysexit' | 'task-switch';
  fromCpl: number;
  toCpl: number;
  toCs: number;
  toEip: number;
  /** EFLAGS as the change left them: IF says whether device interrupts reach the code it went to. */
  eflags: number;
}

export interface ControlRegisterEvent extends EventBase {
  type: 'cr-write';
  cr: number;
  value: number;
  eip: number;
}

export interface TableLoadEvent extends EventBase {
  type: 'table-load';
  table: 'gdt' | 'idt' | 'ldt' | 'tr';
  base: number;
  limit: number;
  /** For LLDT/LTR. */
  selector?: number;
}

export interface PortEvent extends EventBase {
  type: 'port';
  port: number;
  size: number;
  value: number;
  write: boolean;
}

export interface OutputEvent extends EventBase {
  type: 'output';
  source: 'com1' | 'debugcon';
  byte: number;
}

export interface EndEvent extends EventBase {
  type: 'end';
  reason: string;
  message: string;
}

export type EngineEvent =
  | InterruptEvent | PrivilegeChangeEvent | ControlRegisterEvent | TableLoadEvent
  | PortEvent | OutputEvent | EndEvent;

export type EventListener = (event: EngineEvent) => void;

type WithoutCycles<E> = E extends EngineEvent ? Omit<E, 'cycles'> : never;

/** An event as the CPU and devices make it: the machine stamps its cycle count as it passes it on. */
export type UncountedEvent = WithoutCycles<EngineEvent>;
