// Runs a lab's tests in parallel on worker threads. The main thread lists the
// tests (importing each spec module once), hands them out one at a time to a
// pool of workers, and guards each run with a wall-clock backstop: the engine
// bounds instructions, but a host that is slow (or an engine bug) must not hang
// a grading run. A worker that crashes or hangs is replaced; its test becomes
// an error or wall-clock result, and the other tests go on.

import os from 'node:os';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import type { TestResult } from '../model.ts';
import { errorResult, resultBase, runTest, wallClockMessage, type TestInputs } from './run-test.ts';
import { sortResults } from '../scoring/score.ts';
import type { TestSpec } from '../api/spec.ts';
import { listTests, type ListedTest, type SpecFile } from './test-list.ts';
import type { WorkerReply, WorkerTask } from './worker.ts';
import { firstLine, messageOf } from '../messages.ts';

export interface RunnerOptions {
  /** Worker threads (default: os.availableParallelism()). */
  jobs?: number;
  /** Run every test on this thread, one after another: no wall-clock backstop (a debugging aid). */
  inProcess?: boolean;
  /**
   * Run every test on a worker thread, none on this one: for spec code that is
   * not trusted to leave the grader's own thread alive.
   */
  workersOnly?: boolean;
  /** Override the wall-clock backstop per test, in milliseconds. */
  wallClockMs?: number;
  /** Called as each test finishes (in completion order), e.g. for a progress line. */
  onResult?(result: TestResult): void;
  /** Called when a worker thread is started. */
  onWorkerStart?(): void;
  /** Run only the tests with these ids (`lab grade --test`); a spec file that cannot be loaded is reported all the same. */
  only?: ReadonlySet<string>;
  /**
   * `lab grade --time-limit`: the host time (performance.now()) after which
   * no test starts. The tests left get a result saying so; those that ran
   * keep theirs, so a platform's time-out never wipes out a whole grade.
   */
  deadline?: { at: number; seconds: number };
}

/** Host time a test may take at the least, and the engine speed the backstop assumes for longer budgets. */
const MIN_WALL_CLOCK_MS = 30_000;
const ASSUMED_INSTRUCTIONS_PER_SECOND = 5_000_000;

const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);
/**
 * Guest work a worker must find waiting before it is worth starting: a new
 * thread costs about 0.12 s to load the engine, and then runs several times
 * slower than a warm one until V8 has compiled the engine's hot paths and the
 * guest's compiled blocks again (measured on a 2-core machine).
 */
const WORKER_BREAK_EVEN_MS = 400;
/** Guest instructions per second a thread runs lab code at while still warming up: the estimate that decides. */
const WARMING_INSTRUCTIONS_PER_SECOND = 50_000_000;

/**
 * The parent's Node flags for a worker (loaders, conditions), minus the ones
 * that describe the parent's own entry point: a worker given --eval or
 * --input-type fails to start.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const withValue = new Set(['--eval', '-e', '--print', '-p', '--input-type']);
  const args = process.execArgv.values();
  for (const arg of args) {
    if (withValue.has(arg)) {
      args.next(); // its value
      continue;
    }
    if (/^--(eval|print|input-type)=/.test(arg)) continue;
    out.push(arg);
  }
  return out;
}

export function wallClockLimitMs(spec: TestSpec, inputs: TestInputs): number {
  const budget = spec.maxInstructions ?? inputs.defaults.maxInstructions;
  return Math.max(MIN_WALL_CLOCK_MS, Math.ceil((budget / ASSUMED_INSTRUCTIONS_PER_SECOND) * 1000));
}

/** Run the tests of `files`; resolves to one result per test, sorted by id. Never rejects because of a test. */
export async function runTests(files: readonly SpecFile[], inputs: TestInputs, opts: RunnerOptions = {}): Promise<TestResult[]> {
  const listed = await listTests(files);
  const { broken } = listed;
  const tasks = opts.only ? listed.tasks.filter((t) => opts.only!.has(t.id)) : listed.tasks;
  const results: TestResult[] = [...broken];
  const done = (r: TestResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  if (opts.inProcess) {
    for (const t of tasks) done(runTest(t.spec, inputs, { id: t.id, hidden: t.hidden }));
    return sortResults(results);
  }
  const jobs = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), tasks.length));
  const queue = [...tasks];
  // The next test to run, or none: after the deadline, every test left is reported as not run.
  const take = (): ListedTest | undefined => {
    if (opts.deadline !== undefined && queue.length > 0 && performance.now() > opts.deadline.at) {
      for (let task = queue.shift(); task; task = queue.shift()) {
        done(errorResult(resultBase(task.spec, task), 'wall-clock', `not run: grading's time limit of ${opts.deadline.seconds} s ran out before this test started (--time-limit)`));
      }
    }
    return queue.shift();
  };
  const slots: Promise<void>[] = [];
  /** Why the last worker that failed to start did so. */
  let startFailure: string | undefined;
  // Tests left when no worker could start (this thread takes none in workers-only mode): each still gets a result.
  const failUnstarted = () => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      done(errorResult(resultBase(task.spec, task), 'grader-error', `grader error: no worker thread could start to run this test: ${startFailure ?? 'unknown reason'}`));
    }
  };
  const slot = async () => {
    opts.onWorkerStart?.();
    let current: Worker | null = null;
    try {
      while (queue.length > 0) {
        if (!current) {
          const started = await startWorker(inputs);
          if (typeof started === 'string') {
            startFailure = started;
            return;
          }
          current = started;
        }
        const task = take();
        if (!task) break;
        const limit = opts.wallClockMs ?? wallClockLimitMs(task.spec, inputs);
        const outcome = await runOnWorker(current, task, limit);
        if (outcome.kind === 'result') {
          done(outcome.result);
          continue;
        }
        // The worker is hung or dead: it cannot be trusted with another test.
        await current.terminate();
        current = null;
        done(outcome.kind === 'wall-clock'
          ? errorResult(resultBase(task.spec, task), 'wall-clock', wallClockMessage(limit))
          : errorResult(resultBase(task.spec, task), 'grader-error', `grader error: the worker running this test crashed: ${outcome.message}`));
      }
    } finally {
      if (current) await current.terminate();
    }
  };
  if (opts.workersOnly) {
    for (let i = 0; i < jobs; i++) slots.push(slot());
    await Promise.all(slots);
    failUnstarted();
    return sortResults(results);
  }
  // This thread grades too, from the first moment: a worker costs more to
  // start than many lab tests take to run. After each test it judges, from
  // that test's instruction count, how much work is left per thread; while
  // that would outlast a new worker's start-up and warm-up, another starts and
  // takes tests from the same queue. Instructions, not milliseconds: a thread
  // that is still warming up would make every suite look long.
  const startWorkersIfWorthIt = (lastInstructions: number) => {
    const perTestMs = (lastInstructions / WARMING_INSTRUCTIONS_PER_SECOND) * 1000;
    while (slots.length < jobs - 1 && (queue.length * perTestMs) / (slots.length + 1) > WORKER_BREAK_EVEN_MS) slots.push(slot());
  };
  for (let task = take(); task; task = take()) {
    const result = runGuarded(task, inputs, opts.wallClockMs ?? wallClockLimitMs(task.spec, inputs));
    done(result);
    startWorkersIfWorthIt(result.run.instructions);
    // Let workers hand back results and take the next test.
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(slots);
  failUnstarted();
  return sortResults(results);
}

/**
 * The engine checks its wall-clock deadline itself, but only between guest
 * instructions: an engine bug, or a spec's check that never returns, would
 * hold this thread for ever. So a test on this thread also runs under a
 * watchdog thread (V8's, through vm's timeout) that terminates whatever
 * JavaScript is running once the limit and a grace period have passed. The
 * test then fails at the backstop; what it left half made (its machine) is
 * dropped, not reused.
 */
const guardContext = vm.createContext({ run: (): TestResult | undefined => undefined });
const guardScript = new vm.Script('run()');
const BACKSTOP_GRACE_MS = 1000;

function runGuarded(task: ListedTest, inputs: TestInputs, limitMs: number): TestResult {
  guardContext.run = () => runTest(task.spec, inputs, { id: task.id, hidden: task.hidden }, limitMs);
  try {
    return guardScript.runInContext(guardContext, { timeout: limitMs + BACKSTOP_GRACE_MS }) as TestResult;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return errorResult(resultBase(task.spec, task), 'wall-clock', wallClockMessage(limitMs + BACKSTOP_GRACE_MS));
    throw e;
  } finally {
    guardContext.run = () => undefined;
  }
}

/** A worker that has loaded and can take tests, or why it could not start. */
function startWorker(inputs: TestInputs): Promise<Worker | string> {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_ENTRY, { workerData: { inputs }, execArgv: workerExecArgv() });
  } catch (e) {
    return Promise.resolve(firstLine(messageOf(e)));
  }
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if ((m as { ready?: boolean }).ready === true) settle(worker);
    };
    const onError = (e: unknown) => settle(firstLine(messageOf(e)));
    const onExit = (code: number) => settle(`the worker exited with code ${code} before it was ready`);
    const settle = (outcome: Worker | string) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(outcome);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

type Outcome = { kind: 'result'; result: TestResult } | { kind: 'wall-clock' } | { kind: 'crash'; message: string };

function runOnWorker(worker: Worker, task: ListedTest, limitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const finish = (o: Outcome) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(o);
    };
    const onMessage = (reply: WorkerReply) => {
      if (reply.id === task.id) finish({ kind: 'result', result: reply.result });
    };
    const onError = (e: unknown) => finish({ kind: 'crash', message: firstLine(messageOf(e)) });
    const onExit = (code: number) => finish({ kind: 'crash', message: `the worker exited with code ${code}` });
    const timer = setTimeout(() => finish({ kind: 'wall-clock' }), limitMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const message: WorkerTask = { specFile: task.specFile, testName: task.testName, id: task.id, hidden: task.hidden };
    worker.postMessage(message);
  });
}
