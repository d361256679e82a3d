// `lab validate N --coverage`: which tests notice each of lab N's solutions.
// Every solution region of lab N is taken out on its own (that region as the
// starter has it, everything else the reference) and the lab is graded; a
// region whose removal fails no test is code no test checks, a gap the
// tests must close before students rely on them.

import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gradeLab, type GradeOptions } from '../grade.ts';
import { LabError, type Lab } from '../course/labs.ts';
import { allRegions, REGION_FILE_KINDS, RegionError, stageWithout, type Region } from '../course/solution-regions.ts';
import type { SpecFile } from '../run/test-list.ts';
import { copyCourse } from './mutants.ts';

/** One solution region of the lab, named by its file (course-relative) and its BEGIN line. */
export interface RegionSite {
  file: string;
  line: number;
}

export interface RegionCoverage {
  region: RegionSite;
  /** The tests that lose points without this region's solution. */
  failing: string[];
  /** The build log when the course without this solution does not build (every test fails, but none because it tested the region). */
  buildError?: string;
}

/** Lab `lab`'s solution regions in the course's kernel tree and the lab's own folder, in file and line order. */
export function labRegions(courseRoot: string, lab: Lab): RegionSite[] {
  const sites: RegionSite[] = [];
  for (const dir of ['kernel', lab.manifest.slug]) {
    for (const entry of readdirSync(path.join(courseRoot, dir), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !REGION_FILE_KINDS.test(entry.name)) continue;
      const file = path.relative(courseRoot, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
      if (file.split('/').some((part) => part.startsWith('.'))) continue;
      for (const r of regionsOf(path.join(courseRoot, file), file)) {
        if (r.lab === lab.manifest.number) sites.push({ file, line: r.begin.line });
      }
    }
  }
  return sites.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** A file's regions; a marker mistake is the instructor's input error, one line naming file:line. */
function regionsOf(abs: string, file: string): Region[] {
  try {
    return allRegions(readFileSync(abs, 'utf8'), file);
  } catch (e) {
    if (e instanceof RegionError) throw new LabError(e.message);
    throw e;
  }
}

/** Grades the course once per region of the lab, in a copy with just that solution taken out. */
export async function regionCoverage(courseRoot: string, lab: Lab, specFiles: SpecFile[], grading: GradeOptions, work: string): Promise<RegionCoverage[]> {
  const coverage: RegionCoverage[] = [];
  for (const [i, region] of labRegions(courseRoot, lab).entries()) {
    const copy = path.join(work, `without-${i}`);
    await copyCourse(courseRoot, copy);
    const text = readFileSync(path.join(courseRoot, region.file), 'utf8');
    await writeFile(path.join(copy, region.file), stageWithout(text, lab.manifest.number, region.line, region.file));
    const report = await gradeLab(copy, lab, specFiles, grading);
    await rm(copy, { recursive: true, force: true });
    const failing = report.tests.filter((t) => t.status !== 'passed' || t.score < t.maxScore).map((t) => t.id);
    coverage.push({ region, failing, ...(report.buildLog !== undefined ? { buildError: report.buildLog } : {}) });
  }
  return coverage;
}

/** A region counts as checked when some test fails without it for a reason other than a failed build. */
export function unchecked(coverage: RegionCoverage[]): RegionCoverage[] {
  return coverage.filter((c) => c.buildError === undefined && c.failing.length === 0);
}

