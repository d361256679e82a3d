// `lab check-spec`: the mistakes an instructor makes in a test spec, found
// before a student meets them, each with the file and the line of the test.
// A spec that does not load is one already (SpecError, with duplicate names
// and checks worth more than their test among them); beyond that:
//   - a module whose program the lab does not build;
//   - a check that reads nothing of the run, so that it can never fail;
//   - a serial pattern that matches the empty string, so any output passes;
//   - a check that passes a run that did nothing at all (no output, no
//     events, no tables): a search for nothing (a warning: some checks
//     forbid something, and say so with `negative`);
//   - tests that together are worth more or less than lab.json's points.
// Checks are read through what they declare (their serial patterns) and
// their behaviour, not their source: each is evaluated on a run of nothing,
// through a view that records what it reads.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LAB_FOLDER, LabError, type Lab } from '../course/labs.ts';
import { loadSpecFile, SpecError, type Check, type TestRun, type TestSpec } from '../api/spec.ts';
import { roundPoints } from '../scoring/score.ts';

export interface SpecProblem {
  file: string;
  /** The line of the test's name in the file, when the test is known. */
  line?: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface SpecFileToCheck {
  file: string;
  hidden: boolean;
}

/** Every problem in `files`, read against `lab` (its programs and points); in file order, then line order. */
export async function checkSpecs(lab: Lab, files: readonly SpecFileToCheck[], opts: { wholeLab: boolean }): Promise<SpecProblem[]> {
  const problems: SpecProblem[] = [];
  let total = 0;
  for (const { file } of files) {
    let tests: TestSpec[];
    try {
      tests = await loadSpecFile(file);
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      problems.push({ file, severity: 'error', message: e.message.startsWith(file) ? e.message.slice(file.length + 2) : e.message });
      continue;
    }
    const source = readFileSync(file, 'utf8');
    for (const test of tests) {
      total += test.points;
      const at = { file, ...lineOf(source, test.name) };
      const label = `test '${test.name}'`;
      for (const m of test.modules) {
        if (!(m.program in lab.manifest.programs)) {
          const known = Object.keys(lab.manifest.programs);
          problems.push({ ...at, severity: 'error', message: `${label}: module '${m.program}' is not a program of lab ${lab.manifest.number} (lab.json builds ${known.length > 0 ? known.join(', ') : 'none'})` });
        }
      }
      for (const c of test.checks) {
        const empty = (c.serialPatterns ?? []).find((p) => (typeof p === 'string' ? p === '' : new RegExp(p.source, p.flags.replace(/[gy]/g, '')).test('')));
        if (empty !== undefined) {
          problems.push({ ...at, severity: 'error', message: `${label}: check '${c.name}' looks for ${typeof empty === 'string' ? 'the empty text' : `${empty}, which matches the empty string`}, so any output passes it` });
          continue;
        }
        const probe = onRunOfNothing(c, test);
        if (!probe.read && probe.passed) {
          problems.push({ ...at, severity: 'error', message: `${label}: check '${c.name}' reads nothing of the run, so it can never fail` });
        } else if (probe.passed && c.negative !== true) {
          problems.push({
            ...at, severity: 'warning',
            message: `${label}: check '${c.name}' passes a run that did nothing (no output, no events, no tables): does its pattern match the empty string, or does it look for nothing?`,
          });
        }
      }
    }
  }
  const points = lab.manifest.points;
  if (opts.wholeLab && points !== undefined && Math.abs(total - points) > 1e-9) {
    problems.push({
      file: lab.manifestFile, severity: total > points ? 'error' : 'warning',
      message: `the lab's tests add up to ${roundPoints(total)} points, lab.json says ${points}${total > points ? '; grading stops on this' : ''}`,
    });
  }
  return problems;
}

/** The line of the first occurrence of a test's name as a string literal in its file. */
function lineOf(source: string, name: string): { line?: number } {
  for (const quote of ["'", '"', '`']) {
    const at = source.indexOf(`${quote}${name}${quote}`);
    if (at >= 0) return { line: source.slice(0, at).split('\n').length };
  }
  return {};
}

/**
 * Evaluates `check` on a run in which nothing happened, recording whether it
 * read anything of it. A check that throws on this run (it expected something
 * there) counts as reading it and failing.
 */
function onRunOfNothing(check: Check, spec: TestSpec): { read: boolean; passed: boolean } {
  let read = false;
  const nothing = (value: unknown): unknown => {
    read = true;
    return value;
  };
  const zeroRegisters = new Proxy({}, { get: () => 0 });
  const inspect = new Proxy({}, {
    get: (_t, name) => {
      read = true;
      switch (name) {
        case 'registers': return () => zeroRegisters;
        case 'gdt': case 'idt': case 'mappings': case 'userHalf': case 'kernelHalf': case 'kernelDirectoryEntries': case 'recentInstructions': case 'screen': return () => [];
        case 'readPhysical': return (_a: number, n: number) => new Uint8Array(n);
        default: return () => null;
      }
    },
  });
  const base = {
    spec,
    // Stopped from outside before its first instruction: it neither halted, nor exited, nor faulted.
    result: { reason: 'stopped', message: 'stopped before it ran', instructions: 0 },
    serial: '',
    serialTruncated: false,
    events: [],
    eventsDropped: 0,
    inspect,
    locate: () => undefined,
    endLocation: () => ({ csEip: '0008:00000000', instruction: 'hlt' }),
    serialIcount: () => undefined,
    instructionAt: () => undefined,
  };
  const run = new Proxy(base, { get: (t, name) => (name === 'spec' ? t.spec : nothing(Reflect.get(t, name))) }) as unknown as TestRun;
  try {
    const passed = check.evaluate(run).passed === true;
    return { read, passed };
  } catch {
    return { read: true, passed: false };
  }
}

/** The lab a spec file belongs to: the nearest folder above it with a lab.json, in its course. */
export function labOfSpecFile(file: string, findLab: (courseRoot: string, n: number) => Lab): Lab {
  let dir = path.dirname(path.resolve(file));
  for (;;) {
    const m = LAB_FOLDER.exec(path.basename(dir));
    if (m) return findLab(path.dirname(dir), Number(m[1]));
    const up = path.dirname(dir);
    if (up === dir) throw new LabError(`${file}: not inside a lab folder (NN-slug/ with a lab.json); give the lab number instead: lab check-spec N`);
    dir = up;
  }
}
