// The thread iced-x86 runs on (see disassemble.ts for why it has one): it
// answers one request at a time through the shared buffer in workerData.
// Plain JavaScript, so that it starts without the TypeScript machinery.

import { workerData } from 'node:worker_threads';
import {
  ADDRESS, ANSWER, decodeOne, FAILED, INSTRUCTION_LENGTH, loadIced, REQUEST, REQUEST_LENGTH, STATE, TEXT_LENGTH,
} from './iced-decode.mjs';

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

const firstLine = (e) => String(e instanceof Error ? e.message : e).split('\n')[0];

let iced;
try {
  iced = loadIced();
  // The first decoding is several times slower than the next ones: paid now, before anyone waits.
  decodeOne(iced, new Uint8Array([0x0f, 0x0b]), 0);
} catch (e) {
  iced = firstLine(e);
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
  try {
    const { length, text } = decodeOne(iced, data.slice(0, state[REQUEST_LENGTH]), state[ADDRESS]);
    answer(ANSWER, length, text);
  } catch (e) {
    answer(FAILED, 0, firstLine(e));
  }
}
