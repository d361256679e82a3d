// The course-authoring manual (labs/README.md, issue 20) cannot rot: every
// `ts example` block in it is a spec module, run here against lab 3's
// reference kernel, and every test in it must pass; every check of the
// catalogue and every manifest field is in it; its mutant example is a mutant.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpecFile } from '../../grader/api/spec.ts';
import { parseMutant } from '../../grader/authoring/mutants.ts';
import { findLab } from '../../grader/course/labs.ts';
import { buildForTests } from '../../grader/grade.ts';
import { runTest, type TestInputs } from '../../grader/run/run-test.ts';
import { needs } from '../host-tools.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MANUAL = readFileSync(join(REPO, 'labs', 'README.md'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'ringlab-manual-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fenced blocks whose info string is `lang` (and, when given, `tag`), in order. */
function blocks(lang: string, tag?: string): string[] {
  const fence = /^```(\S+)(?:[ \t]+(\S+))?\n([\s\S]*?)^```$/gm;
  return [...MANUAL.matchAll(fence)].filter((m) => m[1] === lang && (tag === undefined || m[2] === tag)).map((m) => m[3]!);
}

/** The manual's section whose heading starts with `## N.` */
function section(n: number): string {
  const start = MANUAL.indexOf(`\n## ${n}. `);
  const end = MANUAL.indexOf('\n## ', start + 1);
  return MANUAL.slice(start, end < 0 ? undefined : end);
}

describe('the authoring manual', () => {
  const examples = blocks('ts', 'example');

  it('has its examples, and names every check of the catalogue and every manifest field', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const catalogue = section(4);
    // The catalogue is checks.ts and the families it re-exports from checks/.
    const api = join(REPO, 'grader', 'api');
    const sources = [join(api, 'checks.ts'), ...readdirSync(join(api, 'checks')).map((f) => join(api, 'checks', f))];
    const checks = sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^export function (\w+)\([^)]*\): Check \{/gm)].map((m) => m[1]!));
    expect(checks.length).toBeGreaterThanOrEqual(19);
    for (const name of checks) expect(catalogue, `check ${name}`).toContain(`${name}(`);
    const fields = section(7);
    const manifest = JSON.parse(readFileSync(join(REPO, 'labs', '03-usermode', 'lab.json'), 'utf8')) as Record<string, unknown>;
    for (const field of [...Object.keys(manifest), 'studentFiles']) expect(fields, `lab.json field ${field}`).toContain(`\`${field}\``);
  });

  it('shows a mutant in the form lab validate reads', () => {
    const [json] = blocks('json');
    const mutant = parseMutant(JSON.parse(json!), 'labs/README.md');
    expect(mutant.edits.length).toBeGreaterThan(0);
  });

  describe("runs every example against lab 3's reference", needs('gcc', 'bwrap'), () => {
    let inputs: TestInputs;
    beforeAll(async () => {
      const built = await buildForTests(join(REPO, 'labs'), findLab(join(REPO, 'labs'), 3));
      if (!built.ok) throw new Error(`lab 3's reference does not build: ${built.log}`);
      inputs = built.inputs;
    });

    it.each(examples.map((text, i) => [i + 1, text] as const))('example %i: every test passes', async (i, text) => {
      // Written as they would be in labs/NN-slug/tests/; here the grader is reached by its place.
      const file = join(scratch, `example-${i}.ts`);
      writeFileSync(file, text.replaceAll("'../../../grader/", `'${join(REPO, 'grader')}/`));
      const tests = await loadSpecFile(file);
      for (const spec of tests) {
        const result = runTest(spec, inputs);
        const failed = result.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.observed ?? ''}`);
        expect(failed, `${spec.name}: ${result.reason}`).toEqual([]);
        expect(result.status, spec.name).toBe('passed');
      }
    });
  });
});
