// Writes every machine- and human-readable report of a grading run into one
// directory, the layout CI scripts and the `lab grade` command rely on.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GradeReport } from '../model.ts';
import { type GradescopeOptions, toGradescope } from './gradescope.ts';
import { renderHtml } from './html.ts';
import { toJUnit } from './junit.ts';

export interface ReportPaths {
  html: string;
  gradescope: string;
  junit: string;
}

export const REPORT_FILES = { html: 'report.html', gradescope: 'results.json', junit: 'junit.xml' } as const;

/** Renders all three before writing any, so a rendering bug leaves no half-updated set of files. */
export function writeReports(report: GradeReport, outDir: string, options: { gradescope?: GradescopeOptions } = {}): ReportPaths {
  const contents = {
    html: renderHtml(report),
    gradescope: `${JSON.stringify(toGradescope(report, options.gradescope), null, 2)}\n`,
    junit: toJUnit(report),
  };
  mkdirSync(outDir, { recursive: true });
  const paths: ReportPaths = {
    html: join(outDir, REPORT_FILES.html),
    gradescope: join(outDir, REPORT_FILES.gradescope),
    junit: join(outDir, REPORT_FILES.junit),
  };
  for (const key of ['html', 'gradescope', 'junit'] as const) writeFileSync(paths[key], contents[key], 'utf8');
  return paths;
}
