// Checks on processes and faults: a process killed for its exception, and no
// return to ring 3 after a fault the kernel should have killed for.

import type { EngineEvent, InterruptEvent } from '../../../engine/events.ts';
import type { Check } from '../spec.ts';
import { endSummary, endWhere, fail, hex, PASS, quote, serialTail } from './outcome.ts';

function isCpl3Exception(e: EngineEvent, vector?: number): e is InterruptEvent {
  return e.type === 'interrupt' && e.kind === 'exception' && e.fromCpl === 3 && (vector === undefined || e.vector === vector);
}

export interface ProcessKilledOptions {
  pid?: number;
  vector: number;
  /** The kernel's line; group 1 is the pid, group 2 the vector (decimal or 0x hex). */
  line?: RegExp;
}

/** The documented kernel line reporting a killed process: "killed pid 3: ... vector 14". */
export const KILLED_LINE = /killed pid (\d+):.*vector (0x[0-9a-f]+|\d+)/i;

/**
 * The kernel reported killing a process for exception `vector` (and pid, when
 * given), and the event stream shows that exception raised in ring 3.
 */
export function processKilled(opts: ProcessKilledOptions): Check {
  const line = opts.line ?? KILLED_LINE;
  const who = opts.pid !== undefined ? `pid ${opts.pid}` : 'a process';
  return {
    name: `the kernel kills ${who} for exception vector ${opts.vector}`,
    role: { provokes: [opts.vector] },
    evaluate(run) {
      const re = new RegExp(line.source, line.flags.replace(/[gy]/g, '') + 'g');
      const seen: string[] = [];
      let found = false;
      for (const m of run.serial.matchAll(re)) {
        const pid = Number(m[1]);
        const vector = Number(m[2]);
        seen.push(m[0]);
        if (vector === opts.vector && (opts.pid === undefined || pid === opts.pid)) found = true;
      }
      const fault = run.events.find((e) => isCpl3Exception(e, opts.vector));
      if (!fault) {
        return fail(
          `exception vector ${opts.vector} raised in ring 3`,
          `no such exception happened in ring 3; ${endSummary(run)}`,
          endWhere(run),
        );
      }
      if (found) return PASS;
      return fail(
        `a line matching ${line} for ${who} and vector ${opts.vector}`,
        seen.length > 0 ? `the kernel printed ${seen.slice(0, 3).map((s) => quote(s)).join(', ')}` : `no such line; ${serialTail(run)}`,
        run.locate(fault),
      );
    },
  };
}

export interface NoRing3AfterFaultOptions {
  /** Exception vectors that must kill the process (default: every exception). */
  vectors?: number[];
  /**
   * 'same-eip' (default): after the fault, the kernel never returns to ring 3
   * at the faulting CS:EIP under the same CR3. 'same-cr3': it never returns to
   * ring 3 under the faulting CR3 at all (for kernels where each process has
   * its own page directory and a killed process's directory is not reused).
   */
  mode?: 'same-eip' | 'same-cr3';
}

/**
 * "No ring-3 instruction of the faulting process runs after the fault",
 * approximated from events, which see every entry to ring 3 (IRET, SYSEXIT,
 * far return): for each exception raised at CPL 3, no later transition to
 * CPL 3 may land on the faulting CS:EIP with the CR3 the fault happened under
 * (mode 'same-eip'), or on anything under that CR3 (mode 'same-cr3'). CR3 is
 * tracked through CR3 writes. A kernel that "recovers" by skipping the
 * faulting instruction is not caught in 'same-eip' mode; use 'same-cr3' when
 * processes have their own page directories. With events dropped (over
 * EVENT_LIMIT), only the recorded part of the run is judged.
 */
export function noRing3AfterFault(opts: NoRing3AfterFaultOptions = {}): Check {
  const mode = opts.mode ?? 'same-eip';
  const vectors = opts.vectors ? new Set(opts.vectors) : null;
  return {
    negative: true,
    name: mode === 'same-eip'
      ? 'a process that faults in ring 3 is never resumed at the faulting instruction'
      : 'a process that faults in ring 3 never runs in ring 3 again',
    role: { cause: true },
    evaluate(run) {
      let cr3 = 0;
      const faults: { event: InterruptEvent; cr3: number }[] = [];
      for (const e of run.events) {
        if (e.type === 'cr-write' && e.cr === 3) cr3 = e.value >>> 0;
        else if (e.type === 'interrupt' && isCpl3Exception(e) && (vectors === null || vectors.has(e.vector))) {
          faults.push({ event: e, cr3 });
        } else if ((e.type === 'iret' || e.type === 'sysexit' || e.type === 'far-return' || e.type === 'task-switch') && e.toCpl === 3) {
          for (const f of faults) {
            const sameSpace = (f.cr3 & ~0xfff) === (cr3 & ~0xfff);
            const hit = mode === 'same-cr3' ? sameSpace : sameSpace && f.event.fromEip === e.toEip && (f.event.fromCs & 0xfffc) === (e.toCs & 0xfffc);
            if (!hit) continue;
            const what = `${hex(f.event.fromCs, 4)}:${hex(f.event.fromEip)}`;
            return fail(
              mode === 'same-cr3'
                ? `after exception ${f.event.vector} at ${what} (CR3 ${hex(cr3)}), no return to ring 3 under that CR3`
                : `after exception ${f.event.vector} at ${what}, the process is not resumed there`,
              `at instruction ${e.icount} the kernel returned to ring 3 at ${hex(e.toCs, 4)}:${hex(e.toEip)} by ${e.type} (the fault was at instruction ${f.event.icount})`,
              run.locate(e),
            );
          }
        }
      }
      return PASS;
    },
  };
}
