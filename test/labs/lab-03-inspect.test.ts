// Lab 3's reference kernel at the end of a run, read through the view checks
// get (run.inspect): its page directory, listed as runs, must give for every
// page the answer the engine's own walk gives, and must show what the
// handout says the kernel builds: RAM identity-mapped for ring 0 only, the
// user window mapped for ring 3, nothing in the kernel half.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildLab } from '../../grader/toolchain/build.ts';
import { findLab } from '../../grader/course/labs.ts';
import { runTest } from '../../grader/run/run-test.ts';
import { check } from '../../grader/api/checks.ts';
import { defineTest } from '../../grader/api/spec.ts';
import { PAGE_4K, PAGE_4M, type MappingRun } from '../../engine/inspect/page-walk.ts';
import { USER_WINDOW } from '../../labs/03-usermode/tests/lib/usermode.ts';
import { needs } from '../host-tools.ts';

const COURSE = fileURLToPath(new URL('../../labs', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'ringlab-lab3-inspect-'));
afterAll(() => rm(work, { recursive: true, force: true }));

describe('lab 3: the reference kernel\'s page directory through run.inspect', needs('gcc', 'bwrap'), () => {
  it('lists the mappings the engine walks, page by page', async () => {
    const lab = findLab(COURSE, 3);
    const built = await buildLab(COURSE, lab.manifest, { outDir: join(work, 'build') });
    if (!built.ok) throw new Error(`lab 3 does not build: ${built.log}`);
    const programs: Record<string, Uint8Array> = {};
    for (const [name, file] of Object.entries(built.programs)) programs[name] = await readFile(file);
    const m = lab.manifest;

    let runs: MappingRun[] = [];
    let kernelHalf: MappingRun[] | undefined;
    const disagreements: string[] = [];
    const readDirectory = check('the page directory read through the view', (run) => {
      const view = run.inspect;
      const cr3 = view.registers().cr3;
      runs = view.mappings(cr3);
      kernelHalf = view.kernelHalf(cr3);
      const byPage = new Map<number, MappingRun>();
      for (const r of runs) for (let page = r.linear; page < r.linear + r.size; page += PAGE_4K) byPage.set(page, r);
      const present = new Set(runs.map((r) => r.linear >>> 22));
      for (let pde = 0; pde < 1024; pde++) {
        for (let i = 0; i < (present.has(pde) ? 1024 : 1); i++) {
          const linear = (pde * PAGE_4M + i * PAGE_4K) >>> 0;
          const r = byPage.get(linear);
          const ring0 = view.explainAccess(linear, { cpl: 0, access: 'read' });
          const ring3Read = view.explainAccess(linear, { cpl: 3, access: 'read' }).allowed;
          const ring3Write = view.explainAccess(linear, { cpl: 3, access: 'write' }).allowed;
          const seen = { physical: r === undefined ? null : r.physical + (linear - r.linear), user: r?.user ?? false, userWrites: (r?.user ?? false) && (r?.writable ?? false) };
          const walked = { physical: ring0.physical, user: ring3Read, userWrites: ring3Write };
          if (JSON.stringify(seen) !== JSON.stringify(walked)) disagreements.push(`${linear.toString(16)}: view ${JSON.stringify(seen)}, engine ${JSON.stringify(walked)}`);
        }
      }
      return true;
    });
    const spec = defineTest({ name: 'hello', points: 1, modules: [{ program: 'hello' }], checks: [readDirectory] });
    const result = runTest(spec, { kernel: await readFile(built.kernel), programs, defaults: { ramMiB: m.ramMiB, maxInstructions: m.maxInstructions, maxOutputBytes: m.maxOutputBytes } });
    expect(result.status).toBe('passed');

    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(kernelHalf).toEqual([]);
    const ram = runs.filter((r) => r.linear < USER_WINDOW.from);
    expect(ram).toEqual([{ linear: 0, size: ram[0]!.size, physical: 0, user: false, writable: true, pageSize: PAGE_4M }]);
    const user = runs.filter((r) => r.linear >= USER_WINDOW.from);
    expect(user.length).toBeGreaterThan(0);
    for (const r of user) expect(r).toMatchObject({ user: true, pageSize: PAGE_4K });
    expect(user.at(-1)!.linear + user.at(-1)!.size - 1).toBeLessThanOrEqual(USER_WINDOW.to);
  });
});
