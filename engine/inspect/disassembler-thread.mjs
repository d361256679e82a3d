// The thread iced-x86 runs on (see disassemble.ts for why it has one): it
// answers one request at a time through the shared buffer in workerData.
// Plain JavaScript, so that it starts without the TypeScript machinery.

import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';

const REQUEST = 1;
const ANSWER = 2;
const FAILED = 3;
const STATE = 0;
const REQUEST_LENGTH = 1;
const ADDRESS = 2;
const INSTRUCTION_LENGTH = 3;
const TEXT_LENGTH = 4;

const { shared, headerBytes } = workerData;
const state = new Int32Array(shared, 0, headerBytes / 4);
const data = new Uint8Array(shared, headerBytes);

function answer(outcome, length, text) {
  const n = Math.min(text.length, data.length);
  for (let k = 0; k < n; k++) data[k] = text.charCodeAt(k) & 0xff;
  state[INSTRUCTION_LENGTH] = length;
  state[TEXT_LENGTH] = n;
  Atomics.store(state, STATE, outcome);
  Atomics.notify(state, STATE);
}

let iced;
try {
  iced = createRequire(import.meta.url)('iced-x86');
} catch (e) {
  iced = String(e instanceof Error ? e.message : e).split('\n')[0];
}

for (;;) {
  const now = Atomics.load(state, STATE);
  if (now !== REQUEST) {
    Atomics.wait(state, STATE, now);
    continue;
  }
  if (typeof iced === 'string') {
    answer(FAILED, 0, `iced-x86 does not load: ${iced}`);
    break;
  }
  const { Decoder, DecoderOptions, Formatter, FormatterSyntax } = iced;
  const bytes = data.slice(0, state[REQUEST_LENGTH]);
  let decoder, formatter, insn;
  try {
    decoder = new Decoder(32, bytes, DecoderOptions.None);
    decoder.ip = BigInt(state[ADDRESS] >>> 0);
    formatter = new Formatter(FormatterSyntax.Gas);
    insn = decoder.decode();
    if (insn.isInvalid) answer(ANSWER, 0, '(bad)');
    else answer(ANSWER, insn.length, formatter.format(insn));
  } catch (e) {
    answer(FAILED, 0, String(e instanceof Error ? e.message : e).split('\n')[0]);
  } finally {
    insn?.free();
    formatter?.free();
    decoder?.free();
  }
}
