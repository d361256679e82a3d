// A schedule as the reports show it: in HTML, a timeline with one row per
// address space and time across, each span coloured by the ring that ran and
// the timer, system calls, faults and kills marked; in the terminal, a line
// of characters per row. It is the feedback for a scheduler that is unfair
// or never sleeps, so both say plainly what the axis counts.

import { hexDigits } from '../../engine/hex.ts';
import { vectorName } from '../../engine/cpu/exceptions.ts';
import type { Schedule, ScheduleMark, ScheduleRow, ScheduleSpan } from '../model.ts';
import { ringsByColumn } from '../run/schedule-cells.ts';

/** The picture's grid in SVG units: row labels, the plot, each row's share of the run to its right; rows, their bars, the axis under them. */
const LAYOUT = { label: 180, plot: 540, share: 130, row: 20, bar: 14, axis: 22 } as const;
/** The terminal's line: columns per row at most. */
const TEXT_COLUMNS = 60;

export interface ScheduleView {
  caption: string;
  viewBox: string;
  plotLeft: number;
  plotWidth: number;
  shareX: number;
  rows: { laneY: number; textY: number; label: string; share: string }[];
  spans: { x: number; y: number; width: number; ring: ScheduleSpan['ring']; title: string }[];
  marks: { kind: ScheduleMark['kind']; path: string; title: string }[];
  ticks: { x: number; y: number; bottom: number; label: string }[];
  notes: string[];
}

export function scheduleView(schedule: Schedule): ScheduleView {
  const x = (at: number) => LAYOUT.label + round(schedule.end > 0 ? (at / schedule.end) * LAYOUT.plot : 0);
  const bottom = schedule.rows.length * LAYOUT.row;
  const labels = schedule.rows.map((r) => rowLabel(r, true));
  return {
    caption: `${axisName(schedule)}; one row per address space (the page directory in CR3), with its share of the run`,
    viewBox: `0 0 ${LAYOUT.label + LAYOUT.plot + LAYOUT.share} ${bottom + LAYOUT.axis}`,
    plotLeft: LAYOUT.label,
    plotWidth: LAYOUT.plot,
    shareX: LAYOUT.label + LAYOUT.plot + 8,
    rows: schedule.rows.map((row, i) => ({ laneY: laneY(i), textY: i * LAYOUT.row + 14, label: labels[i]!, share: shareOf(schedule, row) })),
    spans: schedule.rows.flatMap((row, i) => row.spans.map((s) => ({
      x: x(s.from),
      y: laneY(i),
      // A span narrower than a unit of the picture is still drawn, as a sliver.
      width: Math.max(0.5, round(x(s.to) - x(s.from))),
      ring: s.ring,
      title: `${labels[i]}: ${RING_WORDS[s.ring]}, ${at(schedule, s.from)} to ${at(schedule, s.to)}`,
    }))),
    marks: schedule.marks.map((m) => ({ kind: m.kind, path: markPath(m.kind, x(m.at), m.row * LAYOUT.row), title: `${markWords(m)} at ${at(schedule, m.at)}` })),
    ticks: axisSteps(schedule).map((v) => ({ x: x(v), y: bottom + 16, bottom, label: shortNumber(v) })),
    notes: notes(schedule),
  };
}

function laneY(row: number): number {
  return row * LAYOUT.row + (LAYOUT.row - LAYOUT.bar) / 2;
}

const RING_WORDS: Record<ScheduleSpan['ring'], string> = { user: 'ring 3 (user)', kernel: 'ring 0 (kernel)', idle: 'halted in HLT' };

function axisName(schedule: Schedule): string {
  return schedule.unit === 'tick'
    ? 'Time in timer ticks (IRQ 0)'
    : 'Time in instructions (no timer interrupt came)';
}

function at(schedule: Schedule, v: number): string {
  return schedule.unit === 'tick' ? `tick ${v}` : `instruction ${v}`;
}

/** "pid 2 spin · CR3 00402000" where the kernel's exec lines allow, else the directory alone. */
export function rowLabel(row: ScheduleRow, withCr3: boolean): string {
  switch (row.kind) {
    case 'boot': return 'boot (before CR3 loads)';
    case 'idle': return 'idle (HLT)';
    case 'other': return 'other address spaces';
    case 'space': {
      const cr3 = `CR3 ${hexDigits(row.cr3 ?? 0)}`;
      const kernelOnly = row.ranUser === false ? ' (kernel only)' : '';
      if (row.pid === undefined) return `${cr3}${kernelOnly}`;
      const who = `pid ${row.pid} ${row.name ?? ''}`;
      return withCr3 ? `${who} · ${cr3}` : who;
    }
  }
}

function markWords(m: ScheduleMark): string {
  const vector = m.vector === undefined ? '' : m.kind === 'syscall' ? ` (INT 0x${m.vector.toString(16)})` : ` (${vectorName(m.vector)})`;
  switch (m.kind) {
    case 'timer': return 'timer interrupt';
    case 'syscall': return `system call${m.vector === undefined ? ' (SYSENTER)' : vector}`;
    case 'fault': return `fault from ring 3${vector}, the process went on`;
    case 'kill': return m.vector === undefined ? 'killed by kill(), as the kernel\'s "killed pid N: kill()" line says' : `fault from ring 3${vector}, the process never ran again`;
  }
}

/** Each kind of mark has its own shape, so a colour-blind reader tells them apart too. */
function markPath(kind: ScheduleMark['kind'], x: number, top: number): string {
  const mid = top + LAYOUT.row / 2;
  switch (kind) {
    case 'timer': return `M${x} ${top} V${top + LAYOUT.row}`;
    case 'syscall': return `M${round(x - 3)} ${top} H${round(x + 3)} L${x} ${top + 5} Z`;
    case 'fault': return `M${x} ${mid - 5} L${round(x + 5)} ${mid} L${x} ${mid + 5} L${round(x - 5)} ${mid} Z`;
    case 'kill': return `M${round(x - 5)} ${mid - 5} L${round(x + 5)} ${mid + 5} M${round(x + 5)} ${mid - 5} L${round(x - 5)} ${mid + 5}`;
  }
}

/** Where the axis is labelled: a step of 1, 2 or 5 times a power of ten, about eight of them. */
function axisSteps(schedule: Schedule): number[] {
  const step = niceStep(schedule.end / 8);
  const steps: number[] = [];
  for (let v = 0; v <= schedule.end; v += step) steps.push(v);
  return steps;
}

/** The smallest of 1, 2, 5, 10, 20, ... at least `least` (and at least 1: ticks and instructions are whole). */
function niceStep(least: number): number {
  for (let power = 1; ; power *= 10) {
    for (const m of [1, 2, 5]) if (m * power >= least) return m * power;
  }
}

function shortNumber(v: number): string {
  if (v >= 1e6 && v % 1e5 === 0) return `${v / 1e6}M`;
  if (v >= 1e3 && v % 100 === 0) return `${v / 1e3}k`;
  return String(v);
}

function notes(schedule: Schedule): string[] {
  const out: string[] = [];
  if (schedule.cell !== undefined) out.push(`The run switched more often than the picture can show: it is drawn in steps of ${schedule.cell} ${schedule.unit}s, each showing a row where it ran at all (in ring 3 where it reached ring 3). The shares are exact.`);
  if (schedule.marksDropped > 0) out.push(`Not drawn: ${schedule.marksDropped} ${schedule.marksDropped === 1 ? 'mark' : 'marks'} on top of another of the same kind, or beyond what the picture keeps (timer interrupts go first).`);
  if (schedule.eventsStopped) out.push('The run raised more events than the grader records: the schedule stops at the last one kept.');
  return out;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

const RING_CHARS: Record<ScheduleSpan['ring'], string> = { user: 'U', kernel: 'k', idle: '-' };

/**
 * The terminal's version: a legend, then per row a character per column,
 * 'U' where ring 3 ran in it at all, else 'k' where the kernel did, '-'
 * halted, '.' nothing, with a fault '*' and a kill 'X' over it; and the
 * row's share of the run, which is what a fairness test weighs.
 */
export function scheduleLines(schedule: Schedule): string[] {
  const width = schedule.end <= TEXT_COLUMNS && schedule.unit === 'tick' ? 1 : niceStep(schedule.end / TEXT_COLUMNS);
  const count = Math.max(1, Math.ceil(schedule.end / width));
  const unit = schedule.unit === 'tick' ? (width === 1 ? 'tick' : 'ticks') : 'instructions';
  const scale = schedule.unit === 'tick' ? `1 column = ${width} ${unit}` : `no timer interrupt, 1 column = ${shortNumber(width)} ${unit}`;
  const labels = schedule.rows.map((r) => rowLabel(r, false));
  const pad = Math.max(...labels.map((l) => l.length));
  const lines = [`schedule (${scale}; U ran in ring 3, k only in the kernel, - halted, . not running, * fault, X killed):`];
  schedule.rows.forEach((row, r) => {
    const chars = ringsByColumn(row.spans, width, count).map((ring) => (ring === undefined ? '.' : RING_CHARS[ring]));
    for (const m of schedule.marks) {
      if (m.row !== r || (m.kind !== 'fault' && m.kind !== 'kill')) continue;
      const c = Math.min(count - 1, Math.floor(m.at / width));
      if (chars[c] !== 'X') chars[c] = m.kind === 'kill' ? 'X' : '*';
    }
    lines.push(`  ${labels[r]!.padEnd(pad)} |${chars.join('')}| ${shareOf(schedule, row)}`);
  });
  return lines;
}

/** "48% user, 2% kernel": each ring the row ran in, as a part of the whole run. */
export function shareOf(schedule: Schedule, row: ScheduleRow): string {
  const parts = (Object.keys(SHARE_WORDS) as ScheduleSpan['ring'][])
    .filter((ring) => row.time[ring] > 0)
    .map((ring) => `${percent(row.time[ring], schedule.end)} ${SHARE_WORDS[ring]}`);
  return parts.join(', ');
}

const SHARE_WORDS: Record<ScheduleSpan['ring'], string> = { user: 'user', kernel: 'kernel', idle: 'halted' };

/** Whole percents rounded down, so a row's parts never add up past 100%; and never a 0% for time that was there. */
function percent(part: number, whole: number): string {
  const p = whole > 0 ? (100 * part) / whole : 0;
  return p > 0 && p < 1 ? '<1%' : `${Math.floor(p)}%`;
}
