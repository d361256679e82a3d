import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_COURSE_ROOT, LabError, findLab, listLabs, resolveCourseRoot } from '../../grader/course/labs.ts';
import { runLab } from '../lab-cli.ts';

const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-labs-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const GOOD = {
  title: 'Boot',
  ramMiB: 32,
  maxInstructions: 1000000,
  maxOutputBytes: 65536,
  kernel: { sources: ['boot.S'], linkerScript: 'kernel.ld' },
  programs: {},
  starterScore: 0,
};

let courses = 0;
/** A course with one lab folder whose lab.json has the given text (or object). */
function courseWith(manifest: string | object, folder = '01-boot'): { root: string; file: string } {
  const root = join(scratch, `course-${courses++}`);
  mkdirSync(join(root, folder), { recursive: true });
  const file = join(root, folder, 'lab.json');
  writeFileSync(file, typeof manifest === 'string' ? manifest : JSON.stringify(manifest, null, 2));
  return { root, file };
}

function loadError(root: string): string {
  try {
    listLabs(root);
  } catch (e) {
    expect(e).toBeInstanceOf(LabError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a LabError');
}

describe('the fixture course', () => {
  it('lists its labs in number order, with number and slug from the folder name', () => {
    const labs = listLabs(COURSE);
    expect(labs.map((l) => [l.manifest.number, l.manifest.slug, l.manifest.title, l.manifest.points])).toEqual([
      [1, '01-hello', 'Hello, serial port', 10],
      [2, '02-broken', 'A kernel that does not compile', undefined],
      [3, '03-unbootable', 'A kernel without a Multiboot header', undefined],
    ]);
  });

  it('finds a lab by number with the paths of its parts', () => {
    const lab = findLab(COURSE, 1);
    expect(lab.dir).toBe(join(COURSE, '01-hello'));
    expect(lab.kernelDir).toBe(join(COURSE, 'kernel'));
    expect(lab.testsDir).toBe(join(COURSE, '01-hello', 'tests'));
    expect(lab.programsDir).toBe(join(COURSE, '01-hello', 'programs'));
    expect(lab.hiddenDir).toBeUndefined();
    expect(lab.handout).toBeUndefined();
    expect(lab.manifest.kernel).toEqual({ sources: ['boot.S', 'kmain.c'], linkerScript: 'kernel.ld', includeDirs: ['.'] });
    expect(lab.manifest.programs).toEqual({ hello: { sources: ['programs/hello/hello.c'], linkerScript: 'programs/program.ld' } });
  });

  it('says which labs exist when asked for one it lacks', () => {
    expect(() => findLab(COURSE, 7)).toThrow(new LabError(`no lab 7 in ${COURSE}: it has 1, 2, 3`));
  });
});

describe('a broken lab.json gets one line naming the file and the fix', () => {
  it('a JSON syntax error, with its line', () => {
    const { root, file } = courseWith('{\n  "title": "Boot",\n  "ramMiB": 32,,\n}\n');
    expect(loadError(root)).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}: not valid JSON at line 3, column \\d+: `));
  });

  it('a missing field', () => {
    const { title: _, ...noTitle } = GOOD;
    const { root, file } = courseWith(noTitle);
    expect(loadError(root)).toBe(`${file}: "title" is missing; add it`);
  });

  it('a field of the wrong type or out of range', () => {
    const cases: [object, string][] = [
      [{ ...GOOD, ramMiB: '32' }, '"ramMiB" must be a whole number from 2 to 3072, not "32"'],
      [{ ...GOOD, ramMiB: 1 }, '"ramMiB" must be a whole number from 2 to 3072, not 1'],
      [{ ...GOOD, maxInstructions: 1.5 }, '"maxInstructions" must be a whole number from 1 to 2000000000, not 1.5'],
      [{ ...GOOD, kernel: ['boot.S'] }, '"kernel" must be an object { "sources": [...], "linkerScript": "..." }, not ["boot.S"]'],
      [{ ...GOOD, kernel: { sources: [], linkerScript: 'k.ld' } }, '"kernel.sources" must name at least one file'],
      [{ ...GOOD, kernel: { sources: ['/etc/passwd'], linkerScript: 'k.ld' } }, '"kernel.sources[0]" must be a relative path with forward slashes, not "/etc/passwd"'],
      [{ ...GOOD, programs: { hello: { sources: 'hello.c' } } }, '"programs.hello.sources" must be an array of relative paths, not "hello.c"'],
      [{ ...GOOD, programs: { 'Hello World': { sources: ['h.c'] } } }, '"programs.Hello World" is not a usable program name: use lower-case letters, digits, - and _'],
      [{ ...GOOD, starterScore: -1 }, '"starterScore" must be a number of points, 0 or more, not -1'],
      [{ ...GOOD, points: 5, starterScore: 6 }, '"starterScore" (6) is more than "points" (5)'],
    ];
    for (const [manifest, message] of cases) {
      const { root, file } = courseWith(manifest);
      expect(loadError(root)).toBe(`${file}: ${message}`);
    }
  });

  it('a field the manifest does not have (a typo) or one that comes from the folder name', () => {
    const typo = courseWith({ ...GOOD, ramMib: 32 });
    expect(loadError(typo.root)).toMatch(new RegExp(`^${typo.file.replaceAll('.', '\\.')}: "ramMib" is not a manifest field; the fields are title, ramMiB, `));
    const numbered = courseWith({ ...GOOD, number: 1 });
    expect(loadError(numbered.root)).toBe(`${numbered.file}: "number" comes from the folder name (NN-slug); remove it`);
  });

  it('not an object at all', () => {
    const { root, file } = courseWith('[1, 2]');
    expect(loadError(root)).toBe(`${file}: the manifest must be a JSON object ({ "title": ..., ... })`);
  });

  it('no lab.json in a lab folder', () => {
    const root = join(scratch, 'no-manifest');
    mkdirSync(join(root, '01-boot'), { recursive: true });
    expect(loadError(root)).toMatch(new RegExp(`^${join(root, '01-boot', 'lab.json').replaceAll('.', '\\.')}: missing; every lab folder needs a lab.json`));
  });

  it('a lab folder named against the NN-slug rule, or two folders with one number', () => {
    const badName = courseWith(GOOD, '1-Boot');
    expect(loadError(badName.root)).toMatch(/1-Boot: lab folders are named NN-slug .*; rename it$/);
    const twins = courseWith(GOOD, '01-boot');
    mkdirSync(join(twins.root, '01-again'));
    writeFileSync(join(twins.root, '01-again', 'lab.json'), JSON.stringify(GOOD));
    expect(loadError(twins.root)).toBe(`${twins.root}: 01-again and 01-boot are both lab 1; renumber one`);
  });

  it('folders that are not labs (the kernel tree, notes) are not mistaken for labs', () => {
    const { root } = courseWith(GOOD);
    mkdirSync(join(root, 'kernel'));
    mkdirSync(join(root, 'notes'));
    expect(listLabs(root).map((l) => l.manifest.slug)).toEqual(['01-boot']);
  });
});

describe('which course', () => {
  const saved = process.env.LAB_COURSE;
  afterEach(() => {
    if (saved === undefined) delete process.env.LAB_COURSE;
    else process.env.LAB_COURSE = saved;
  });

  it('--course wins over LAB_COURSE, which wins over the repository labs/', () => {
    delete process.env.LAB_COURSE;
    // The default is the repository's labs/, which a checkout may not have yet.
    if (existsSync(DEFAULT_COURSE_ROOT)) expect(resolveCourseRoot()).toBe(DEFAULT_COURSE_ROOT);
    else expect(() => resolveCourseRoot()).toThrow(`course directory ${DEFAULT_COURSE_ROOT} (from the default course) does not exist`);
    process.env.LAB_COURSE = COURSE;
    expect(resolveCourseRoot()).toBe(COURSE);
    expect(resolveCourseRoot(scratch)).toBe(scratch);
  });

  it('a course directory that does not exist names where it came from', () => {
    process.env.LAB_COURSE = join(scratch, 'nowhere');
    expect(() => resolveCourseRoot()).toThrow(`course directory ${join(scratch, 'nowhere')} (from LAB_COURSE) does not exist; pass --course DIR or set LAB_COURSE`);
  });
});

describe('lab list', () => {
  function lab(args: string[], env: NodeJS.ProcessEnv = {}) {
    return runLab(args, { cwd: scratch, timeoutMs: 60_000, env });
  }

  it('prints number, folder, title and points of each lab', () => {
    const run = lab(['list', '--course', COURSE]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      '  1  01-hello       Hello, serial port                   10 points\n' +
      '  2  02-broken      A kernel that does not compile\n' +
      '  3  03-unbootable  A kernel without a Multiboot header\n',
    );
  });

  it('takes the course from LAB_COURSE', () => {
    const run = lab(['list'], { LAB_COURSE: COURSE });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('01-hello');
  });

  it('a broken manifest or a missing course: one line on stderr, status 2', () => {
    const { root, file } = courseWith('{ "title": ');
    const broken = lab(['list', '--course', root]);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^lab: ${file.replaceAll('.', '\\.')}: not valid JSON at line 1, column \\d+: [^\\n]*\\n$`));
    const missing = lab(['list', '--course', join(scratch, 'nowhere')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`lab: course directory ${join(scratch, 'nowhere')} (from --course) does not exist; pass --course DIR or set LAB_COURSE\n`);
    const empty = join(scratch, 'empty-course');
    mkdirSync(empty);
    const none = lab(['list', '--course', empty]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(`lab: no labs in ${empty}: a lab is a folder named NN-slug holding a lab.json\n`);
  });
});

