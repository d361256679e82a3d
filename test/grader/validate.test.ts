// Mutants and `lab validate`: a mutated copy leaves the course alone, the
// fixture's tests catch its mutants, and a mutant nothing catches is reported.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, assert, describe, expect, it } from 'vitest';
import { findLab } from '../../grader/course/labs.ts';
import { applyMutant, loadMutants, MutantError, parseMutant } from '../../grader/authoring/mutants.ts';
import { formatValidation, validateLab } from '../../grader/authoring/validate.ts';
import { needs } from '../host-tools.ts';
import { lab } from '../lab-cli.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course-regions', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ringlab-validate-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('applyMutant', () => {
  it('applies the edits to a copy and leaves the course as it was', async () => {
    const [mutant] = loadMutants(findLab(COURSE, 1));
    assert(mutant, 'the fixture course has a mutant');
    expect(mutant.name).toBe('no-data-write');
    const copy = await applyMutant(COURSE, mutant, join(work, 'copy'), 1);
    expect(readFileSync(join(copy, 'kernel/kmain.c'), 'utf8')).not.toContain('outb(COM1, (unsigned char)c);');
    expect(readFileSync(join(COURSE, 'kernel/kmain.c'), 'utf8')).toContain('outb(COM1, (unsigned char)c);');
  });

  it('refuses text that is not there exactly once, and edits to tests', async () => {
    const mutant = (find: string, file = 'kernel/kmain.c') =>
      parseMutant({ description: 'd', mustFail: ['t/x'], edits: [{ file, find, replace: '' }] }, '/m/bad.json');
    await expect(applyMutant(COURSE, mutant('no such text'), join(work, 'a'), 1)).rejects.toThrow(/does not occur in kernel\/kmain\.c/);
    await expect(applyMutant(COURSE, mutant('serial_putc'), join(work, 'b'), 1)).rejects.toThrow(/occurs \d+ times/);
    await expect(applyMutant(COURSE, mutant('name', '01-serial/tests/banner.ts'), join(work, 'c'), 1)).rejects.toThrow(MutantError);
    expect(() => parseMutant({ description: 'd', mustFail: [], edits: [] }, '/m/x.json')).toThrow(/^\/m\/x\.json: "mustFail"/);
  });

  it('patches the text as the lab builds it, where a later lab has rewritten the code', async () => {
    const course = join(work, 'rewritten');
    mkdirSync(join(course, 'kernel'), { recursive: true });
    writeFileSync(join(course, 'kernel/k.c'), '/* BEGIN SOLUTION lab4 */\nstep(2);\n/* BEFORE lab4 */\nstep(1);\n/* END SOLUTION */\n/* STUDENT lab4: two */\n');
    const mutant = parseMutant({ description: 'd', mustFail: ['t/x'], edits: [{ file: 'kernel/k.c', find: 'step(1);', replace: 'step(0);' }] }, '/m/m.json');
    const copy = await applyMutant(course, mutant, join(work, 'rewritten-3'), 3);
    expect(readFileSync(join(copy, 'kernel/k.c'), 'utf8')).toBe('step(0);\n/* STUDENT lab4: two */\n');
    await expect(applyMutant(course, mutant, join(work, 'rewritten-4'), 4)).rejects.toThrow(/does not occur in kernel\/k\.c as lab 4 builds it/);
  });
});

describe('lab validate', () => {
  it('passes the fixture: full marks for the reference, every mutant caught', needs('gcc', 'bwrap'), () => {
    const r = lab('validate', '1', '--course', COURSE);
    const stdout = r.stdout;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(stdout).toContain('reference: 12/12 ok (full marks)');
    expect(stdout).toMatch(/no-data-write +banner\/prints its banner on COM1 +failed 0\/6 +ok/);
    expect(stdout).toMatch(/hidden\/whole-line\/the banner is a whole line +failed 0\/2 +ok/);
    expect(stdout).toMatch(/wrong-exit-code +banner\/exits with code 0 +failed 0\/4 +ok/);
  });

  it('reports a mutant that changes nothing observable', needs('gcc', 'bwrap'), async () => {
    const mutants = join(work, 'mutants');
    rmSync(mutants, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(mutants);
    writeFileSync(join(mutants, 'harmless.json'), JSON.stringify({
      description: 'only a comment changes',
      mustFail: ['banner/exits with code 0'],
      edits: [{ file: 'kernel/kmain.c', find: '/* isa-debug-exit: the machine stops with status (0 << 1) | 1. */', replace: '/* bye */' }],
    }));
    const lab = { ...findLab(COURSE, 1), mutantsDir: mutants };
    const v = await validateLab(COURSE, lab, { jobs: 2 });
    expect(v.referenceOk).toBe(true);
    expect(v.ok).toBe(false);
    expect(v.mutants[0]?.expected[0]).toMatchObject({ id: 'banner/exits with code 0', caught: false });
    const text = formatValidation(v);
    expect(text).toMatch(/harmless +banner\/exits with code 0 +passed 4\/4 +MISSED/);
    expect(text).toContain('1 of 1 mutants are not caught (harmless)');
  });

  it('reports a mutant that does not compile instead of counting it as caught', needs('gcc', 'bwrap'), async () => {
    const mutants = join(work, 'broken-mutants');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(mutants);
    writeFileSync(join(mutants, 'syntax.json'), JSON.stringify({
      description: 'does not compile',
      mustFail: ['banner/exits with code 0'],
      edits: [{ file: 'kernel/kmain.c', find: 'outb(DEBUG_EXIT, 0);', replace: 'outb(DEBUG_EXIT, 0' }],
    }));
    const v = await validateLab(COURSE, { ...findLab(COURSE, 1), mutantsDir: mutants }, { jobs: 2 });
    expect(v.ok).toBe(false);
    expect(v.mutants[0]?.problem).toMatch(/does not build/);
  });

  it('--coverage: takes out each solution region of the lab on its own and names one no test notices', needs('gcc', 'bwrap'), async () => {
    // The fixture's lab 1 has two regions: serial_putc, which every test needs, and
    // clearing EFLAGS in boot.S, which none reads.
    const v = await validateLab(COURSE, { ...findLab(COURSE, 1), mutantsDir: undefined }, { jobs: 2, coverage: true });
    expect(v.referenceOk).toBe(true);
    expect(v.coverage!.map((c) => [c.region.file, c.region.line, c.failing.length > 0])).toEqual([
      ['kernel/boot.S', 17, false],
      ['kernel/kmain.c', 13, true],
    ]);
    expect(v.coverage?.[1]?.failing).toContain('banner/prints its banner on COM1');
    expect(v.ok).toBe(false);
    const text = formatValidation(v);
    expect(text).toMatch(/^kernel\/boot\.S:17 +UNCHECKED: no test fails without this solution$/m);
    expect(text).toMatch(/^kernel\/kmain\.c:13 +1 test: banner\/prints its banner on COM1$/m);
    expect(text).toContain('1 of 2 solution regions are checked by no test (kernel/boot.S:17)');
  });

  it('refuses a mustFail id that names no test, before building anything', async () => {
    const mutants = join(work, 'unknown-id');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(mutants);
    writeFileSync(join(mutants, 'typo.json'), JSON.stringify({ description: 'x', mustFail: ['banner/no such test'], edits: [{ file: 'kernel/kmain.c', find: 'a', replace: 'b' }] }));
    await expect(validateLab(COURSE, { ...findLab(COURSE, 1), mutantsDir: mutants })).rejects.toThrow(/names banner\/no such test, which is not a test of lab 1/);
    expect(existsSync(join(mutants, 'typo.json'))).toBe(true);
  });
});
