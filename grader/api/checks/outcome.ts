// What every check's failure is made of: the outcome, and the guest's text and
// state quoted so a student sees what stood where the test looked.

import type { GuestLocation } from '../../model.ts';
import { firstLine } from '../../messages.ts';
import type { CheckOutcome, TestRun } from '../spec.ts';

export const PASS: CheckOutcome = { passed: true };

export function fail(expected: string, observed: string, where?: GuestLocation): CheckOutcome {
  return { passed: false, expected, observed, ...(where ? { where } : {}) };
}

export function hex(v: number, digits = 8): string {
  return '0x' + (v >>> 0).toString(16).padStart(digits, '0');
}

/** A guest string shown in a message: quoted, escaped, and cut short. */
export function quote(text: string, max = 80): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  return JSON.stringify(cut) + (text.length > max ? `… (${text.length} chars)` : '');
}

/** The end of the serial output, which usually shows what the kernel was doing last. */
export function serialTail(run: TestRun, max = 120): string {
  if (run.serial.length === 0) return 'no serial output at all';
  const tail = run.serial.length > max ? '…' + run.serial.slice(-max) : run.serial;
  return `serial output ends with ${JSON.stringify(tail)}${run.serialTruncated ? ' (recording truncated)' : ''}`;
}

/** A test's own text or pattern, in full: what a test expects is never cut. */
export function describePattern(p: string | RegExp): string {
  return typeof p === 'string' ? JSON.stringify(p) : String(p);
}

/**
 * The output that stood where an expected item should have been: from `from`
 * on, as many whole lines as the item spans (at least one with something on
 * it), quoted; a hostile kernel's endless line is cut, and the cut says so.
 */
export function textInPlace(run: TestRun, from: number, item: string | RegExp): string {
  if (run.serial.slice(from).trim() === '') return `nothing more: the output ends there (the run ended by ${run.result.reason})`;
  const source = typeof item === 'string' ? item : item.source.replace(/\\n/g, '\n');
  let lines = Math.max(1, source.split('\n').length - (source.endsWith('\n') ? 1 : 0));
  let end = from;
  for (; lines > 0 && end < run.serial.length; lines--) {
    const next = run.serial.indexOf('\n', end);
    end = next < 0 ? run.serial.length : next + 1;
    // A line with nothing on it (the rest of the previous item's line) does not count.
    if (run.serial.slice(from, end).trim() === '') lines++;
  }
  return quote(run.serial.slice(from, end), 160);
}

/** Where the run ended, for failures whose cause is "the run stopped too soon". */
export function endWhere(run: TestRun): GuestLocation {
  return run.endLocation();
}

export function endSummary(run: TestRun): string {
  const status = run.result.exitStatus !== undefined ? ` (status ${run.result.exitStatus})` : '';
  return `run ended by ${run.result.reason}${status}: ${firstLine(run.result.message)}`;
}
