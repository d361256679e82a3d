// Solution regions: what a student of lab N sees of each region, and the
// instructor's marker mistakes named by file and line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputProblem, readInputs } from '../../grader/toolchain/build-inputs.ts';
import { allRegions, parseRegions, RegionError, stageForLab, stageWithout, stripForLab } from '../../grader/course/solution-regions.ts';

const SOURCE = [
  'void f(void) {',
  '  /* BEGIN SOLUTION lab1 */',
  '  one();',
  '  /* END SOLUTION */',
  '  /* STUDENT lab1: call one */',
  '  // BEGIN SOLUTION lab2',
  '  two();',
  '  // END SOLUTION',
  '  // STUDENT lab2: call two',
  '}',
  '',
].join('\n');

describe('stripForLab', () => {
  it('replaces regions of the lab and later labs by their STUDENT comment', () => {
    expect(stripForLab(SOURCE, 1, 'f.c')).toBe(['void f(void) {', '  /* STUDENT lab1: call one */', '  // STUDENT lab2: call two', '}', ''].join('\n'));
  });

  it('keeps the solution of earlier labs and drops their markers and STUDENT comment', () => {
    expect(stripForLab(SOURCE, 2, 'f.c')).toBe(['void f(void) {', '  one();', '  // STUDENT lab2: call two', '}', ''].join('\n'));
    expect(stripForLab(SOURCE, 3, 'f.c')).toBe(['void f(void) {', '  one();', '  two();', '}', ''].join('\n'));
  });

  it('handles a region inside one line', () => {
    const line = 'x = /* BEGIN SOLUTION lab3 */ 42; /* END SOLUTION */ /* STUDENT lab3: the answer */\n';
    expect(stripForLab(line, 3)).toBe('x = /* STUDENT lab3: the answer */\n');
    expect(stripForLab(line, 4)).toBe('x = 42; \n');
  });

  it('keeps a STUDENT hint that spans lines, and leaves text without markers alone', () => {
    const text = '/* BEGIN SOLUTION lab1 */\nsolve();\n/* END SOLUTION */\n/* STUDENT lab1: first line\n * second line */\nrest();\n';
    expect(stripForLab(text, 1)).toBe('/* STUDENT lab1: first line\n * second line */\nrest();\n');
    expect(stripForLab('int x; /* a comment */\n', 1)).toBe('int x; /* a comment */\n');
  });
});

// Lab 4 rewrites lab 3's code: the region keeps what lab 3 wrote (with a lab 1
// region inside it) as its BEFORE part.
const REWRITTEN = [
  'void g(void) {',
  '  /* BEGIN SOLUTION lab4 */',
  '  high();',
  '  /* BEFORE lab4 */',
  '  low();',
  '  /* BEGIN SOLUTION lab1 */',
  '  one();',
  '  /* END SOLUTION */',
  '  /* STUDENT lab1: call one */',
  '  /* END SOLUTION */',
  '  /* STUDENT lab4: go high */',
  '}',
  '',
].join('\n');

describe('regions with the code before their lab', () => {
  it('gives a student of that lab or an earlier one the BEFORE part, released the same way, then the STUDENT comment', () => {
    expect(stripForLab(REWRITTEN, 4, 'g.c')).toBe(['void g(void) {', '  low();', '  one();', '  /* STUDENT lab4: go high */', '}', ''].join('\n'));
    expect(stripForLab(REWRITTEN, 1, 'g.c')).toBe(['void g(void) {', '  low();', '  /* STUDENT lab1: call one */', '  /* STUDENT lab4: go high */', '}', ''].join('\n'));
  });

  it('gives a student of a later lab the solution without the BEFORE part', () => {
    expect(stripForLab(REWRITTEN, 5, 'g.c')).toBe(['void g(void) {', '  high();', '}', ''].join('\n'));
  });

  it('handles a region with a BEFORE part inside one line', () => {
    const line = 'x = /* BEGIN SOLUTION lab4 */ 0xC0100000; /* BEFORE lab4 */ 0x100000; /* END SOLUTION */ /* STUDENT lab4: the link address */\n';
    expect(stripForLab(line, 4)).toBe('x = 0x100000; /* STUDENT lab4: the link address */\n');
    expect(stripForLab(line, 5)).toBe('x = 0xC0100000; \n');
    expect(stripForLab('// BEGIN SOLUTION lab4\nnew();\n// BEFORE lab4\nold();\n// END SOLUTION\n// STUDENT lab4: x\n', 4)).toBe('old();\n// STUDENT lab4: x\n');
  });
});

describe('stageForLab', () => {
  it('is the tree a student who finished that lab has: solutions up to it, the code before each later region', () => {
    expect(stageForLab(REWRITTEN, 3, 'g.c')).toBe(stripForLab(REWRITTEN, 4, 'g.c'));
    expect(stageForLab(REWRITTEN, 4, 'g.c')).toBe(['void g(void) {', '  high();', '}', ''].join('\n'));
    expect(stageForLab(REWRITTEN, 0, 'g.c')).toContain('low();\n  /* STUDENT lab1: call one */');
    // A later region without a BEFORE part leaves its STUDENT comment only, as the next lab's starter has it.
    expect(stageForLab(SOURCE, 1, 'f.c')).toBe(['void f(void) {', '  one();', '  // STUDENT lab2: call two', '}', ''].join('\n'));
  });

  it('leaves a file without BEGIN SOLUTION markers alone, so staging staged text changes nothing', () => {
    const staged = stageForLab(REWRITTEN, 3, 'g.c');
    expect(stageForLab(staged, 3, 'g.c')).toBe(staged);
    expect(stageForLab('int x;\n', 2)).toBe('int x;\n');
  });
});

describe('stageWithout: the reference without one solution, for lab validate --coverage', () => {
  it('gives that one region as its starter has it and leaves the others solved', () => {
    expect(stageWithout(SOURCE, 2, 2, 'f.c')).toBe(['void f(void) {', '  /* STUDENT lab1: call one */', '  two();', '}', ''].join('\n'));
    expect(stageWithout(SOURCE, 2, 6, 'f.c')).toBe(['void f(void) {', '  one();', '  // STUDENT lab2: call two', '}', ''].join('\n'));
  });

  it('reaches a region inside a BEFORE part, and names every region in text order', () => {
    expect(allRegions(REWRITTEN, 'g.c').map((r) => [r.lab, r.begin.line])).toEqual([[4, 2], [1, 6]]);
    expect(stageWithout(REWRITTEN, 3, 6, 'g.c')).toBe(['void g(void) {', '  low();', '  /* STUDENT lab1: call one */', '  /* STUDENT lab4: go high */', '}', ''].join('\n'));
    expect(stageWithout(REWRITTEN, 4, 2, 'g.c')).toBe(stripForLab(REWRITTEN, 4, 'g.c'));
  });
});

describe('what a build of lab N reads', () => {
  const work = mkdtempSync(join(tmpdir(), 'ringlab-regions-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const tree = (name: string, files: Record<string, string>) => {
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(join(work, name, rel, '..'), { recursive: true });
      writeFileSync(join(work, name, rel), text);
    }
    return join(work, name);
  };
  const course = tree('course', { 'kernel/g.c': REWRITTEN, 'kernel/notes.txt': '/* BEGIN SOLUTION lab1 */\n' });
  const plan = { dirs: ['kernel'], files: [] };

  it("stages the course's sources to the lab, and only its sources", () => {
    const read = readInputs(course, plan, 3);
    expect(read.get('kernel/g.c')!.toString()).toBe(stageForLab(REWRITTEN, 3, 'g.c'));
    expect(read.get('kernel/notes.txt')!.toString()).toBe('/* BEGIN SOLUTION lab1 */\n');
    expect(readInputs(course, plan, 4).get('kernel/g.c')!.toString()).toContain('high();');
  });

  it("reads a submission's files as they are", () => {
    const mine = 'void g(void) {\n  mine();\n  /* STUDENT lab4: go high */\n}\n';
    const submission = tree('submission', { 'kernel/g.c': mine });
    expect(readInputs(course, plan, 3, { root: submission, studentFiles: ['kernel/**/*.c'] }).get('kernel/g.c')!.toString()).toBe(mine);
  });

  it('turns a marker mistake into one line naming the file and line', () => {
    const broken = tree('broken', { 'kernel/g.c': 'x;\n/* BEGIN SOLUTION lab1 */\ny;\n' });
    expect(() => readInputs(broken, plan, 1)).toThrow(InputProblem);
    expect(() => readInputs(broken, plan, 1)).toThrow(/^kernel\/g\.c:2: BEGIN SOLUTION lab1 is never closed/);
  });
});

describe('marker errors', () => {
  const error = (text: string) => {
    try {
      parseRegions(text, 'kmain.c');
    } catch (e) {
      expect(e).toBeInstanceOf(RegionError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('names an unclosed region by its BEGIN line', () => {
    expect(error('a\n/* BEGIN SOLUTION lab1 */\nb\n')).toMatch(/^kmain\.c:2: BEGIN SOLUTION lab1 is never closed/);
  });

  it('names an END without BEGIN, a nested BEGIN and a missing STUDENT comment', () => {
    expect(error('a\n\n/* END SOLUTION */\n')).toMatch(/^kmain\.c:3: END SOLUTION without a BEGIN/);
    expect(error('/* BEGIN SOLUTION lab1 */\n/* BEGIN SOLUTION lab1 */\n')).toMatch(/^kmain\.c:2: .*do not nest/);
    expect(error('/* BEGIN SOLUTION lab1 */\nx;\n/* END SOLUTION */\ny;\n/* STUDENT lab1: x */\n')).toMatch(/^kmain\.c:3: .*no STUDENT comment/);
  });

  it('rejects a STUDENT comment for another lab and a BEGIN with no lab', () => {
    expect(error('/* BEGIN SOLUTION lab1 */\n/* END SOLUTION */\n/* STUDENT lab2: x */\n')).toMatch(/^kmain\.c:3: STUDENT lab2 follows a region of lab1/);
    expect(error('\n/* BEGIN SOLUTION */\n')).toMatch(/^kmain\.c:2: BEGIN SOLUTION must name its lab/);
    expect(error('/* STUDENT lab1: stray */\n')).toMatch(/^kmain\.c:1: STUDENT lab1 must follow an END SOLUTION/);
  });

  it('names a BEFORE in the wrong place or for the wrong lab, and a nested region not inside a BEFORE part', () => {
    expect(error('x;\n/* BEFORE lab4 */\n')).toMatch(/^kmain\.c:2: BEFORE lab4 outside any region/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEFORE lab3 */\n/* END SOLUTION */\n/* STUDENT lab4: x */\n')).toMatch(/^kmain\.c:2: BEFORE lab3 in a region of lab4/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEFORE lab4 */\n/* BEFORE lab4 */\n/* END SOLUTION */\n/* STUDENT lab4: x */\n')).toMatch(/^kmain\.c:3: a second BEFORE/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEFORE */\n')).toMatch(/^kmain\.c:2: BEFORE must name its lab/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEFORE lab4 */\nold();\n')).toMatch(/^kmain\.c:1: BEGIN SOLUTION lab4 is never closed/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEGIN SOLUTION lab3 */\n')).toMatch(/^kmain\.c:2: .*solution of lab4.*do not nest/);
  });

  it('allows only regions of earlier labs inside a BEFORE part, each closed with its STUDENT comment there', () => {
    const nested = (inner: number) =>
      `/* BEGIN SOLUTION lab4 */\n/* BEFORE lab4 */\n/* BEGIN SOLUTION lab${inner} */\n/* END SOLUTION */\n/* STUDENT lab${inner}: y */\n/* END SOLUTION */\n/* STUDENT lab4: x */\n`;
    expect(parseRegions(nested(3), 'kmain.c')[0]?.nested.map((r) => r.lab)).toEqual([3]);
    expect(error(nested(4))).toMatch(/^kmain\.c:3: BEGIN SOLUTION lab4 inside the BEFORE part of lab4's region \(line 1\)/);
    expect(error(nested(5))).toMatch(/^kmain\.c:3: BEGIN SOLUTION lab5 inside the BEFORE part/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEFORE lab4 */\n/* BEGIN SOLUTION lab3 */\n/* END SOLUTION */\n/* END SOLUTION */\n/* STUDENT lab4: x */\n')).toMatch(/^kmain\.c:4: the region of lab3 has no STUDENT comment/);
  });

  it('allows regions of later labs inside a solution: a student of the earlier lab never sees them', () => {
    // Lab 4's process code; lab 5 changes one line of it.
    const text = [
      '/* BEGIN SOLUTION lab4 */',
      'setup();',
      '/* BEGIN SOLUTION lab5 */',
      'esp0 = p->kstack;',
      '/* BEFORE lab5 */',
      'esp0 = kstack_top;',
      '/* END SOLUTION */',
      '/* STUDENT lab5: point esp0 at the process kernel stack */',
      'run();',
      '/* BEFORE lab4 */',
      'old();',
      '/* END SOLUTION */',
      '/* STUDENT lab4: processes */',
      '',
    ].join('\n');
    expect(stripForLab(text, 4, 'p.c')).toBe('old();\n/* STUDENT lab4: processes */\n');
    expect(stripForLab(text, 5, 'p.c')).toBe('setup();\nesp0 = kstack_top;\n/* STUDENT lab5: point esp0 at the process kernel stack */\nrun();\n');
    expect(stripForLab(text, 6, 'p.c')).toBe('setup();\nesp0 = p->kstack;\nrun();\n');
    expect(stageForLab(text, 4, 'p.c')).toBe(stripForLab(text, 5, 'p.c'));
    expect(allRegions(text, 'p.c').map((r) => [r.lab, r.begin.line])).toEqual([[4, 1], [5, 3]]);
    // Lab 5's reference without its own region: lab 4's line in its place.
    expect(stageWithout(text, 5, 3, 'p.c')).toBe(stripForLab(text, 5, 'p.c'));
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEGIN SOLUTION lab3 */\n')).toMatch(/^kmain\.c:2: BEGIN SOLUTION lab3 inside the solution of lab4's region opened at line 1; regions do not nest/);
    expect(error('/* BEGIN SOLUTION lab4 */\n/* BEGIN SOLUTION lab5 */\nx();\n/* END SOLUTION */\n/* STUDENT lab5: x */\n')).toMatch(/^kmain\.c:1: BEGIN SOLUTION lab4 is never closed; add \/\* END SOLUTION \*\/ after the reference code/);
  });
});
