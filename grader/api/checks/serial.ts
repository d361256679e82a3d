// Checks on the serial output: text, patterns, lines in order, no panic.

import type { Check } from '../spec.ts';
import { describePattern, endSummary, endWhere, fail, PASS, quote, serialTail, textInPlace } from './outcome.ts';

export function serialContains(text: string): Check {
  return {
    name: `serial output contains ${quote(text)}`,
    serialPatterns: [text],
    evaluate(run) {
      if (run.serial.includes(text)) return PASS;
      return fail(`the text ${quote(text)} somewhere in the serial output`, `${serialTail(run)}; ${endSummary(run)}`, endWhere(run));
    },
  };
}

export function serialMatches(pattern: RegExp): Check {
  return {
    name: `serial output matches ${pattern}`,
    serialPatterns: [pattern],
    evaluate(run) {
      // A copy without the g/y flags: lastIndex state must not leak from one run to the next.
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      if (re.test(run.serial)) return PASS;
      return fail(`serial output matching ${pattern}`, `${serialTail(run)}; ${endSummary(run)}`, endWhere(run));
    },
  };
}

/** Every item appears, each one after the end of the previous one's match. */
export function serialInOrder(items: (string | RegExp)[]): Check {
  return {
    name: `serial output contains, in order: ${items.map((i) => describePattern(i)).join(', ')}`,
    serialPatterns: [...items],
    evaluate(run) {
      let from = 0;
      let previousItem: string | RegExp | undefined;
      for (const [k, item] of items.entries()) {
        let at = -1;
        let length = 0;
        if (typeof item === 'string') {
          at = run.serial.indexOf(item, from);
          length = item.length;
        } else {
          const re = new RegExp(item.source, item.flags.replace(/[gy]/g, '') + 'g');
          re.lastIndex = from;
          const m = re.exec(run.serial);
          if (m) {
            at = m.index;
            length = m[0].length;
          }
        }
        if (at < 0) {
          const previous = previousItem === undefined ? '' : describePattern(previousItem);
          const anywhere = typeof item === 'string' ? run.serial.includes(item) : new RegExp(item.source, item.flags.replace(/[gy]/g, '')).test(run.serial);
          const what = anywhere ? `${describePattern(item)} appears, but not after ${previous}` : `${describePattern(item)} never appears`;
          // What the kernel printed instead is the best clue; before the first item there is no "instead", only the end.
          const observed = k === 0 ? `${what}; ${serialTail(run)}` : `${what}; after ${previous} the output has ${textInPlace(run, from, item)}`;
          return fail(`${describePattern(item)}${k === 0 ? '' : ` after ${previous}`} (item ${k + 1} of ${items.length})`, observed, endWhere(run));
        }
        from = at + Math.max(length, 0);
        previousItem = item;
      }
      return PASS;
    },
  };
}

/** No line of the output matches `pattern` (default: the word "panic"). */
export function noPanic(pattern: RegExp = /panic/i): Check {
  return {
    negative: true,
    name: `no kernel panic (no output line matches ${pattern})`,
    role: { forbidsPanic: pattern },
    evaluate(run) {
      const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
      const m = re.exec(run.serial);
      if (!m) return PASS;
      const lineStart = run.serial.lastIndexOf('\n', m.index) + 1;
      const lineEnd = run.serial.indexOf('\n', m.index);
      const line = run.serial.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
      const icount = run.serialIcount(m.index);
      return fail(
        `no output line matching ${pattern}`,
        `the kernel printed ${quote(line, 160)}${icount !== undefined ? ` around instruction ${icount}` : ''}`,
      );
    },
  };
}
