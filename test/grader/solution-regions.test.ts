// Solution regions: what a student of lab N sees of each region, and the
// instructor's marker mistakes named by file and line.
import { describe, expect, it } from 'vitest';
import { parseRegions, RegionError, stripForLab } from '../../grader/course/solution-regions.ts';

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
    expect(error('/* BEGIN SOLUTION lab1 */\n/* BEGIN SOLUTION lab2 */\n')).toMatch(/^kmain\.c:2: .*do not nest/);
    expect(error('/* BEGIN SOLUTION lab1 */\nx;\n/* END SOLUTION */\ny;\n/* STUDENT lab1: x */\n')).toMatch(/^kmain\.c:3: .*no STUDENT comment/);
  });

  it('rejects a STUDENT comment for another lab and a BEGIN with no lab', () => {
    expect(error('/* BEGIN SOLUTION lab1 */\n/* END SOLUTION */\n/* STUDENT lab2: x */\n')).toMatch(/^kmain\.c:3: STUDENT lab2 follows a region of lab1/);
    expect(error('\n/* BEGIN SOLUTION */\n')).toMatch(/^kmain\.c:2: BEGIN SOLUTION must name its lab/);
    expect(error('/* STUDENT lab1: stray */\n')).toMatch(/^kmain\.c:1: STUDENT lab1 must follow an END SOLUTION/);
  });
});
