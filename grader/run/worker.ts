// A grading worker thread: receives one test at a time, imports its spec
// module (cached per file), runs it on a fresh machine and posts the result.
// The main thread owns time limits: if a run never ends, it terminates us.

import { parentPort, workerData } from 'node:worker_threads';
import { errorResult, runTest, type TestInputs } from './run-test.ts';
import { loadSpecFile, type TestSpec } from '../api/spec.ts';
import type { TestResult } from '../model.ts';
import { messageOf } from '../messages.ts';

export interface WorkerTask {
  specFile: string;
  testName: string;
  id: string;
  hidden: boolean;
}

export interface WorkerReply {
  id: string;
  result: TestResult;
}

const inputs = (workerData as { inputs: TestInputs }).inputs;
const specs = new Map<string, Promise<TestSpec[]>>();

async function handle(task: WorkerTask): Promise<TestResult> {
  let loaded = specs.get(task.specFile);
  if (!loaded) specs.set(task.specFile, (loaded = loadSpecFile(task.specFile)));
  const base = { id: task.id, name: task.testName, visibility: 'visible' as const, hidden: task.hidden, maxScore: 0 };
  let tests: TestSpec[];
  try {
    tests = await loaded;
  } catch (e) {
    return errorResult(base, 'grader-error', messageOf(e));
  }
  const spec = tests.find((t) => t.name === task.testName);
  if (!spec) return errorResult(base, 'grader-error', `${task.specFile}: no test named '${task.testName}' any more`);
  return runTest(spec, inputs, { id: task.id, hidden: task.hidden });
}

parentPort!.on('message', (task: WorkerTask) => {
  void handle(task).then((result) => parentPort!.postMessage({ id: task.id, result } satisfies WorkerReply));
});
// Loaded: the main thread starts sending tests only now.
parentPort!.postMessage({ ready: true });
