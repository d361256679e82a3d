// Engine events written by hand for the schedule's tests: the few fields a
// schedule reads, the rest filled in plausibly.

import type { EngineEvent, InterruptEvent } from '../../engine/events.ts';

export const SPACE_A = 0x00401000;
export const SPACE_B = 0x00402000;

type InterruptFields = Pick<InterruptEvent, 'vector' | 'kind' | 'fromCpl'> & Partial<InterruptEvent>;

export function interrupt(icount: number, fields: InterruptFields): EngineEvent {
  return {
    type: 'interrupt', icount, cycles: icount, errorCode: -1, toCpl: 0, fromCs: fields.fromCpl === 3 ? 0x1b : 0x08, fromEip: 0x08048000,
    toCs: 0x08, toEip: 0x00100400, gate: 'interrupt', frameAt: 0x00107fec, frameBytes: 20, ...fields,
  };
}

/** IRQ 0 as the course's PIC delivers it. */
export function timer(icount: number, fromCpl: number, halted?: number): EngineEvent {
  return interrupt(icount, { vector: 0x20, kind: 'external', fromCpl, ...(halted !== undefined ? { halted } : {}) });
}

export function iret(icount: number, toCpl: number, toEip = 0x08048000): EngineEvent {
  return { type: 'iret', icount, cycles: icount, fromCpl: 0, toCpl, toCs: toCpl === 3 ? 0x1b : 0x08, toEip, eflags: 0x202 };
}

export function loadCr3(icount: number, value: number): EngineEvent {
  return { type: 'cr-write', icount, cycles: icount, cr: 3, value, eip: 0x00100500 };
}

export function end(icount: number): EngineEvent {
  return { type: 'end', icount, cycles: icount, reason: 'debug-exit', message: 'guest exited through isa-debug-exit with status 0' };
}

/** Two processes in their own directories, switched on every tick (ticks every 1000 instructions), then the run ends. */
export function twoProcessesOnTicks(): EngineEvent[] {
  return [
    loadCr3(100, SPACE_A), iret(110, 3),
    timer(1000, 3), loadCr3(1010, SPACE_B), iret(1020, 3),
    timer(2000, 3), loadCr3(2010, SPACE_A), iret(2020, 3),
    timer(3000, 3), end(3500),
  ];
}

export const TWO_EXECS = 'kernel booting\nexec pid 1: alpha entry 0x08048000\nexec pid 2: beta entry 0x08048000\n';
