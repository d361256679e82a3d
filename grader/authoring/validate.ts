// `lab validate`: proves a lab's tests work before students rely on them. The
// reference kernel (the course tree as it stands when the lab is finished:
// its solutions and those of earlier labs in place, later labs' code as it was
// before them) must score full marks, and every mutant must lose points on each test it names: a test
// that passes a kernel known to be wrong checks less than its author thinks.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { firstErrorLine, type CompilerName } from '../toolchain/build.ts';
import { gradeLab, publicSpecFiles } from '../grade.ts';
import { loadHiddenSpecs } from '../course/hidden.ts';
import type { Lab } from '../course/labs.ts';
import type { GradeReport, TestResult } from '../model.ts';
import { formatPoints } from '../report/terminal.ts';
import { applyMutant, loadMutants, MutantError, type Mutant } from './mutants.ts';
import { regionCoverage, unchecked, type RegionCoverage } from './coverage.ts';
import { testsOfFile } from '../run/test-list.ts';

export interface ValidateOptions {
  /** Hidden-test directory; undefined runs public tests only. */
  hidden?: string;
  cc?: CompilerName;
  jobs?: number;
  /** Also take out each solution region of the lab on its own and list the tests that notice (coverage.ts). */
  coverage?: boolean;
}

/** One mutant test the mutant had to fail, and how it did. */
export interface ExpectedFailure {
  id: string;
  result: TestResult;
  caught: boolean;
}

export interface MutantVerdict {
  mutant: Mutant;
  ok: boolean;
  expected: ExpectedFailure[];
  /** Set when the mutant proves nothing for a reason other than a missed test (it does not compile). */
  problem?: string;
}

export interface Validation {
  lab: Lab;
  reference: GradeReport;
  referenceOk: boolean;
  mutants: MutantVerdict[];
  /** With the coverage option: each region of the lab and the tests that fail without it. */
  coverage?: RegionCoverage[];
  ok: boolean;
}

/**
 * Grades the reference, then each mutant in a temporary copy of the course.
 * Malformed mutants and test ids that name no test are thrown as MutantError
 * before anything is built: they are the instructor's input errors.
 */
export async function validateLab(courseRoot: string, lab: Lab, opts: ValidateOptions = {}): Promise<Validation> {
  const mutants = loadMutants(lab);
  const specFiles = await publicSpecFiles(lab);
  if (opts.hidden !== undefined) specFiles.push(...(await loadHiddenSpecs(opts.hidden)));
  if (specFiles.length === 0) throw new MutantError(`lab ${lab.manifest.number} has no test specs in ${lab.testsDir}; there is nothing to validate`);
  const ids = new Set<string>();
  for (const file of specFiles) for (const test of await testsOfFile(file)) ids.add(test.id);
  for (const mutant of mutants) {
    for (const id of mutant.mustFail) {
      if (ids.has(id)) continue;
      const hint = id.startsWith('hidden/') && opts.hidden === undefined ? '; it is a hidden test, pass --hidden DIR' : `; the tests are: ${[...ids].join(', ')}`;
      throw new MutantError(`${mutant.file}: "mustFail" names ${id}, which is not a test of lab ${lab.manifest.number}${hint}`);
    }
  }

  const work = await mkdtemp(path.join(os.tmpdir(), 'ringlab-validate-'));
  try {
    const grading = { outDir: path.join(work, 'build'), revealed: true, ...(opts.cc ? { cc: opts.cc } : {}), ...(opts.jobs ? { jobs: opts.jobs } : {}) };
    const reference = await gradeLab(courseRoot, lab, specFiles, grading);
    const referenceOk = reference.buildLog === undefined && reference.tests.every((t) => t.status === 'passed') && reference.score === reference.maxScore;

    const verdicts: MutantVerdict[] = [];
    for (const mutant of mutants) {
      const copy = await applyMutant(courseRoot, mutant, path.join(work, `mutant-${mutant.name}`), lab.manifest.number);
      // Only the tests the mutant must fail say anything about it: the others are not run.
      const report = await gradeLab(copy, lab, specFiles, { ...grading, only: new Set(mutant.mustFail) });
      await rm(copy, { recursive: true, force: true });
      const byId = new Map(report.tests.map((t) => [t.id, t]));
      const expected = mutant.mustFail.map((id) => {
        const result = byId.get(id);
        // Every mustFail id was checked against the tests above, and a report has a result for every test.
        if (result === undefined) throw new Error(`validate: no result for ${id} in the report of mutant ${mutant.name}`);
        return { id, result, caught: result.status !== 'passed' || result.score < result.maxScore };
      });
      // A mutant that does not compile fails every test without testing any of them.
      const problem = report.buildLog !== undefined ? `does not build (${firstError(report.buildLog)}); a mutant must compile to prove anything` : undefined;
      verdicts.push({ mutant, expected, ok: problem === undefined && expected.every((e) => e.caught), ...(problem ? { problem } : {}) });
    }
    const coverage = opts.coverage ? await regionCoverage(courseRoot, lab, specFiles, grading, work) : undefined;
    const ok = referenceOk && verdicts.every((v) => v.ok) && (coverage === undefined || unchecked(coverage).length === 0);
    return { lab, reference, referenceOk, mutants: verdicts, ...(coverage ? { coverage } : {}), ok };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A failed build in a table row: its first error, cut short. */
function firstError(log: string): string {
  return firstErrorLine(log).slice(0, 160);
}

/** The validation as a table a person reads top to bottom: the reference first, then one row per expected failure. */
export function formatValidation(v: Validation): string {
  const m = v.lab.manifest;
  const lines: string[] = [`Lab ${m.number}: ${m.title} (${m.slug})`, ''];
  const ref = v.reference;
  lines.push(`reference: ${formatPoints(ref.score)}/${formatPoints(ref.maxScore)} ${v.referenceOk ? 'ok (full marks)' : 'NOT FULL MARKS'}`);
  if (!v.referenceOk) {
    if (ref.buildLog !== undefined) lines.push(`  the reference does not build: ${firstError(ref.buildLog)}`);
    for (const t of ref.tests) if (t.status !== 'passed' || t.score < t.maxScore) lines.push(`  ${t.id}: ${formatPoints(t.score)}/${formatPoints(t.maxScore)} - ${t.reason}`);
  }
  lines.push('');
  if (v.mutants.length === 0) {
    lines.push('no mutants (add NN-slug/mutants/<name>.json to check that the tests catch wrong kernels)');
  } else {
    // A row is either a table row (mutant, expected test, observed, verdict) or a note under one.
    const rows: ({ cells: [string, string, string, string] } | { note: string })[] = [{ cells: ['mutant', 'expected failure', 'observed', ''] }];
    for (const verdict of v.mutants) {
      verdict.expected.forEach((e, i) => {
        const observed = `${e.result.status} ${formatPoints(e.result.score)}/${formatPoints(e.result.maxScore)}`;
        const mark = verdict.problem !== undefined ? 'PROBLEM' : e.caught ? 'ok' : 'MISSED';
        rows.push({ cells: [i === 0 ? verdict.mutant.name : '', e.id, observed, mark] });
      });
      if (verdict.problem !== undefined) rows.push({ note: verdict.problem });
    }
    const cells = rows.flatMap((r) => ('cells' in r ? [r.cells] : []));
    const widest = (column: 0 | 1 | 2) => Math.max(...cells.map((r) => r[column].length));
    const [mutantWidth, testWidth, observedWidth] = [widest(0), widest(1), widest(2)];
    for (const r of rows) {
      if ('note' in r) lines.push(`${''.padEnd(mutantWidth)}  ${r.note}`);
      else lines.push(`${r.cells[0].padEnd(mutantWidth)}  ${r.cells[1].padEnd(testWidth)}  ${r.cells[2].padEnd(observedWidth)}  ${r.cells[3]}`.trimEnd());
    }
  }
  lines.push('');
  if (v.coverage !== undefined) lines.push(...formatCoverage(v.coverage), '');
  const missed = v.mutants.filter((x) => !x.ok);
  const gaps = v.coverage === undefined ? [] : unchecked(v.coverage);
  const covered = v.coverage === undefined ? '' : `, and every one of its ${v.coverage.length} solution regions is checked by a test`;
  if (v.ok) lines.push(`validate: lab ${m.number} is sound: the reference scores full marks and ${v.mutants.length} of ${v.mutants.length} mutants are caught${covered}`);
  else {
    const why = [
      ...(v.referenceOk ? [] : ['the reference does not score full marks']),
      ...(missed.length > 0 ? [`${missed.length} of ${v.mutants.length} mutants are not caught (${missed.map((x) => x.mutant.name).join(', ')})`] : []),
      ...(gaps.length > 0 ? [`${gaps.length} of ${v.coverage!.length} solution regions are checked by no test (${gaps.map((c) => `${c.region.file}:${c.region.line}`).join(', ')})`] : []),
    ];
    lines.push(`validate: lab ${m.number} FAILED: ${why.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line per region: where it is, then the tests that fail without it, or why none does. */
function formatCoverage(coverage: RegionCoverage[]): string[] {
  if (coverage.length === 0) return ['coverage: the lab has no solution regions of its own'];
  const lines = ['coverage: each solution region taken out on its own, and the tests that fail without it'];
  const width = Math.max(...coverage.map((c) => `${c.region.file}:${c.region.line}`.length));
  for (const c of coverage) {
    const site = `${c.region.file}:${c.region.line}`.padEnd(width);
    if (c.buildError !== undefined) lines.push(`${site}  does not build without it (${firstError(c.buildError)})`);
    else if (c.failing.length === 0) lines.push(`${site}  UNCHECKED: no test fails without this solution`);
    else {
      const more = c.failing.length > 3 ? `; and ${c.failing.length - 3} more` : '';
      lines.push(`${site}  ${c.failing.length} test${c.failing.length === 1 ? '' : 's'}: ${c.failing.slice(0, 3).join('; ')}${more}`);
    }
  }
  return lines;
}
