// Disassembly for diagnostics and traces, by iced-x86, which runs on a thread
// of its own (disassembler-thread.mjs, started on first use, or ahead of it by
// startDisassembler); the caller waits for each answer, so this is a plain
// synchronous function.
//
// Not on the caller's thread: iced-x86 is WebAssembly, and its memory grows on
// first use, which detaches the memory's old ArrayBuffer. V8 then gives up,
// for the whole thread (isolate) and for good, its assumption that no
// ArrayBuffer is ever detached: every optimized function that reads a typed
// array, that is the engine's whole hot path, is thrown away (126 of them at
// the first failing test of the benchmark course), recompiled, and from then
// on checks its buffers on every access. Measured on the 2-core host (busy):
// cpu-bound.bench.ts, best warm run of 20 rounds, 0.54-0.67 s with no buffer
// ever detached against 0.66-1.07 s after one (5 alternated rounds, medians
// 0.66 and 0.86 s); cold-start.bench.ts, the process's CPU in the pass after
// the first failing test, 0.79-0.87 s before against 0.35-0.56 s now. The
// price: a thread's first disassembly, loading included, takes 0.11-0.14 s
// instead of 0.07-0.09 s (5 runs each), as the helper thread starts up.

import { Worker } from 'node:worker_threads';
import {
  ADDRESS, ANSWER, DATA_BYTES, decodeOne, HEADER_INTS, IDLE, INSTRUCTION_LENGTH, loadIced, REQUEST, REQUEST_LENGTH, STATE, TEXT_LENGTH,
  type Iced,
} from './iced-decode.mjs';

/**
 * How long to wait for an answer before calling the thread lost. Its first
 * answer includes starting a thread and loading iced-x86 (about 0.1 s); no
 * answer that comes at all takes anywhere near this. Below the grader's
 * shortest wall-clock backstop (30 s), so that a test still gets its result.
 */
const LOST_AFTER_MS = 10_000;

interface Helper {
  state: Int32Array;
  data: Uint8Array;
}

/** The thread, or 'here' once it could not start, failed or was lost: then iced-x86 runs on this thread after all. */
let helper: Helper | 'here' | null = null;

function start(): Helper | 'here' {
  const shared = new SharedArrayBuffer(HEADER_INTS * 4 + DATA_BYTES);
  let worker: Worker;
  try {
    worker = new Worker(new URL('./disassembler-thread.mjs', import.meta.url), {
      workerData: { shared, headerBytes: HEADER_INTS * 4 },
      // Plain JavaScript: none of the parent's loaders (tsx costs about 0.3 s a thread).
      execArgv: [],
    });
  } catch {
    return 'here';
  }
  // It must not keep a finished process alive; it dies with its parent thread.
  worker.unref();
  const started: Helper = { state: new Int32Array(shared, 0, HEADER_INTS), data: new Uint8Array(shared, HEADER_INTS * 4) };
  // A thread that died (its file missing, say) is not waited for again; and its error is not this thread's.
  worker.on('error', () => {
    if (helper === started) helper = 'here';
  });
  return started;
}

let iced: Iced | null = null;

/** The same answer as the thread's, computed here: slower from then on, but the same text. */
function disassembleHere(bytes: Uint8Array, address: number): DecodedInstruction {
  iced ??= loadIced();
  return decodeOne(iced, bytes, address);
}

export interface DecodedInstruction {
  /** Length in bytes (1..15), or 0 when the bytes are not an instruction. */
  length: number;
  /** AT&T syntax, as gcc and objdump print it for these kernels. */
  text: string;
}

/**
 * Start the thread now, if it is not running, without waiting for it: its
 * loading (about 0.1 s) then overlaps whatever this thread does next, rather
 * than delaying the first disassembly. The grader calls it as a thread's
 * first test starts, since a failing test's diagnosis disassembles.
 */
export function startDisassembler(): void {
  helper ??= start();
}

/** Disassemble the first 32-bit instruction in `bytes`, which sits at `address`. */
export function disassemble(bytes: Uint8Array, address: number): DecodedInstruction {
  const h = (helper ??= start());
  if (h === 'here') return disassembleHere(bytes, address);
  // No x86 instruction is longer than 15 bytes: the rest cannot change the answer.
  const n = Math.min(bytes.length, 15);
  h.data.set(bytes.subarray(0, n));
  h.state[REQUEST_LENGTH] = n;
  h.state[ADDRESS] = address | 0;
  Atomics.store(h.state, STATE, REQUEST);
  Atomics.notify(h.state, STATE);
  while (Atomics.load(h.state, STATE) === REQUEST) {
    if (Atomics.wait(h.state, STATE, REQUEST, LOST_AFTER_MS) === 'timed-out') {
      helper = 'here';
      return disassembleHere(bytes, address);
    }
  }
  const answered = Atomics.load(h.state, STATE);
  const text = String.fromCharCode(...h.data.subarray(0, h.state[TEXT_LENGTH]!));
  const length = h.state[INSTRUCTION_LENGTH]!;
  Atomics.store(h.state, STATE, IDLE);
  if (answered === ANSWER) return { length, text };
  // FAILED (3: iced-x86 did not load there, or threw): here it answers, or throws, as it would have without a thread.
  helper = 'here';
  return disassembleHere(bytes, address);
}
