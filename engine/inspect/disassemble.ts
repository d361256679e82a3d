// Disassembly for diagnostics and traces, by iced-x86, which runs on a thread
// of its own (disassembler-thread.mjs, started on first use so that runs which
// never print an instruction never pay for it); the caller waits for each
// answer, so this is a plain synchronous function.
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

/** What the two threads share: a state word, the request's size and address, the answer's sizes, then the bytes. */
const HEADER_INTS = 5;
const DATA_BYTES = 1024;
const STATE = 0;
const REQUEST_LENGTH = 1;
const ADDRESS = 2;
const INSTRUCTION_LENGTH = 3;
const TEXT_LENGTH = 4;
// The states, as disassembler-thread.mjs numbers them.
const IDLE = 0;
const REQUEST = 1;
const ANSWER = 2;
const FAILED = 3;
/**
 * How long to wait for an answer before calling the thread lost. Its first
 * answer includes starting a thread and loading iced-x86 (about 0.1 s); no
 * answer that comes at all takes anywhere near this.
 */
const LOST_AFTER_MS = 60_000;

interface Helper {
  state: Int32Array;
  data: Uint8Array;
}

let helper: Helper | null = null;

function start(): Helper {
  const shared = new SharedArrayBuffer(HEADER_INTS * 4 + DATA_BYTES);
  const worker = new Worker(new URL('./disassembler-thread.mjs', import.meta.url), {
    workerData: { shared, headerBytes: HEADER_INTS * 4 },
    // Plain JavaScript: none of the parent's loaders (tsx costs about 0.3 s a thread).
    execArgv: [],
  });
  // It must not keep a finished process alive; it dies with its parent thread.
  worker.unref();
  return { state: new Int32Array(shared, 0, HEADER_INTS), data: new Uint8Array(shared, HEADER_INTS * 4) };
}

export interface DecodedInstruction {
  /** Length in bytes (1..15), or 0 when the bytes are not an instruction. */
  length: number;
  /** AT&T syntax, as gcc and objdump print it for these kernels. */
  text: string;
}

/** Disassemble the first 32-bit instruction in `bytes`, which sits at `address`. */
export function disassemble(bytes: Uint8Array, address: number): DecodedInstruction {
  const h = (helper ??= start());
  // No x86 instruction is longer than 15 bytes: the rest cannot change the answer.
  const n = Math.min(bytes.length, 15);
  h.data.set(bytes.subarray(0, n));
  h.state[REQUEST_LENGTH] = n;
  h.state[ADDRESS] = address | 0;
  Atomics.store(h.state, STATE, REQUEST);
  Atomics.notify(h.state, STATE);
  while (Atomics.load(h.state, STATE) === REQUEST) {
    if (Atomics.wait(h.state, STATE, REQUEST, LOST_AFTER_MS) === 'timed-out') {
      helper = null;
      throw new Error(`the disassembler thread did not answer within ${LOST_AFTER_MS / 1000} s`);
    }
  }
  const answered = Atomics.load(h.state, STATE);
  const text = String.fromCharCode(...h.data.subarray(0, h.state[TEXT_LENGTH]!));
  const length = h.state[INSTRUCTION_LENGTH]!;
  Atomics.store(h.state, STATE, IDLE);
  if (answered === FAILED) {
    helper = null;
    throw new Error(`cannot disassemble: ${text}`);
  }
  if (answered !== ANSWER) throw new Error(`the disassembler thread answered with state ${answered}`);
  return { length, text };
}
