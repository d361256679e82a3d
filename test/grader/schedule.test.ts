// The schedule a report draws (issue 14), built from engine events alone:
// who held the CPU (the directory in CR3), in which ring, on an axis of timer
// ticks, with the timer, system calls, faults and kills marked.

import { describe, expect, it } from 'vitest';
import { redactResult } from '../../grader/course/hidden.ts';
import { renderHtml } from '../../grader/report/html.ts';
import { scheduleLines, scheduleView } from '../../grader/report/schedule-view.ts';
import { formatTerminal } from '../../grader/report/terminal.ts';
import { MAX_MARKS, MAX_SPANS, scheduleOf } from '../../grader/run/schedule.ts';
import { allPassingReport, failingTest, passingTest, sampleReport, twoProcessSchedule } from '../fixtures/reports/sample-reports.ts';
import type { EngineEvent } from '../../engine/events.ts';
import type { Schedule, ScheduleRow } from '../../grader/model.ts';
import { end, interrupt, iret, loadCr3, SPACE_A, SPACE_B, timer, TWO_EXECS, twoProcessesOnTicks } from './schedule-events.ts';

const quiet = (events: EngineEvent[], serial = '') => scheduleOf({ events, serial, eventsDropped: 0 });
/** A row's spans as 'ring from-to', one string each: short to read and to compare. */
const spansOf = (row: ScheduleRow) => row.spans.map((x) => `${x.ring} ${x.from}-${x.to}`);

describe('a schedule from engine events', () => {
  it('puts two processes switched on timer ticks on two rows, in ticks, with their pids', () => {
    const s = quiet(twoProcessesOnTicks(), TWO_EXECS);
    expect(s.unit).toBe('tick');
    expect(s.end).toBe(3.5); // half a tick after the third, at the pace of the last one
    expect(s.rows.map((r) => [r.kind, r.cr3, r.pid, r.name])).toEqual([
      ['boot', undefined, undefined, undefined],
      ['space', SPACE_A, 1, 'alpha'],
      ['space', SPACE_B, 2, 'beta'],
    ]);
    expect(spansOf(s.rows[0]!)).toEqual(['kernel 0-0.1']);
    expect(spansOf(s.rows[1]!)).toEqual(['kernel 0.1-0.11', 'user 0.11-1', 'kernel 1-1.01', 'kernel 2.01-2.02', 'user 2.02-3', 'kernel 3-3.5']);
    expect(spansOf(s.rows[2]!)).toEqual(['kernel 1.01-1.02', 'user 1.02-2', 'kernel 2-2.01']);
    expect(s.marks).toEqual([
      { at: 1, row: 1, kind: 'timer', vector: 0x20 },
      { at: 2, row: 2, kind: 'timer', vector: 0x20 },
      { at: 3, row: 1, kind: 'timer', vector: 0x20 },
    ]);
    expect(s.marksDropped).toBe(0);
    expect(s.cell).toBeUndefined();
  });

  it('names rows by CR3 alone when the exec lines do not match the directories one for one', () => {
    const oneExec = 'exec pid 1: alpha entry 0x08048000\n';
    const s = quiet(twoProcessesOnTicks(), oneExec);
    expect(s.rows.filter((r) => r.kind === 'space').map((r) => [r.cr3, r.pid, r.name, r.ranUser])).toEqual([
      [SPACE_A, undefined, undefined, true],
      [SPACE_B, undefined, undefined, true],
    ]);
  });

  it('tells a fault the process came back from from one that killed it, and marks system calls', () => {
    const s = quiet([
      loadCr3(100, SPACE_A), iret(110, 3, 0x08048000),
      interrupt(200, { vector: 0x80, kind: 'software', fromCpl: 3 }), iret(220, 3, 0x08048010),
      // A page fault at 0x08048020 that the kernel resolves: back to the same instruction.
      interrupt(300, { vector: 14, kind: 'exception', fromCpl: 3, fromEip: 0x08048020 }), iret(340, 3, 0x08048020),
      // A #GP at 0x08048030: the kernel switches away and never comes back to it.
      interrupt(400, { vector: 13, kind: 'exception', fromCpl: 3, fromEip: 0x08048030 }),
      loadCr3(420, SPACE_B), iret(430, 3),
      // #UD at 0x08048040 in B, and the kernel steps over the two-byte instruction: the process goes on.
      interrupt(440, { vector: 6, kind: 'exception', fromCpl: 3, fromEip: 0x08048040 }), iret(450, 3, 0x08048042),
      // A #DE in B; then a new program in the same directory (as in lab 3, where all share one): the faulting one is gone.
      interrupt(460, { vector: 0, kind: 'exception', fromCpl: 3, fromEip: 0x08048050 }), iret(470, 3, 0x08048000),
      end(500),
    ]);
    expect(s.unit).toBe('instruction');
    expect(s.marks).toEqual([
      { at: 200, row: 1, kind: 'syscall', vector: 0x80 },
      { at: 300, row: 1, kind: 'fault', vector: 14 },
      { at: 400, row: 1, kind: 'kill', vector: 13 },
      { at: 440, row: 2, kind: 'fault', vector: 6 },
      { at: 460, row: 2, kind: 'kill', vector: 0 },
    ]);
    expect(spansOf(s.rows[1]!)).toEqual([
      'kernel 100-110',
      'user 110-200',
      'kernel 200-220',
      'user 220-300',
      'kernel 300-340',
      'user 340-400',
      'kernel 400-420',
    ]);
    expect(spansOf(s.rows[2]!)).toEqual(['kernel 420-430', 'user 430-440', 'kernel 440-450', 'user 450-460', 'kernel 460-470', 'user 470-500']);
  });

  it('marks a far CALL through a call gate from ring 3 as a system call, and draws the kernel span until the far RET', () => {
    const s = quiet([
      loadCr3(100, SPACE_A), iret(110, 3),
      { type: 'far-call', icount: 200, cycles: 200, fromCpl: 3, toCpl: 0, toCs: 0x08, toEip: 0x00100600, eflags: 0x202 },
      { type: 'far-return', icount: 230, cycles: 230, fromCpl: 0, toCpl: 3, toCs: 0x1b, toEip: 0x08048007, eflags: 0x202 },
      end(300),
    ]);
    expect(s.marks).toEqual([{ at: 200, row: 1, kind: 'syscall' }]);
    expect(spansOf(s.rows[1]!)).toEqual(['kernel 100-110', 'user 110-200', 'kernel 200-230', 'user 230-300']);
  });

  it("marks a kill by kill() where the kernel's line for it was written", () => {
    const serial = 'exec pid 1: alpha entry 0x08048000\nexec pid 2: beta entry 0x08048000\nkilled pid 2: kill()\n';
    const at = serial.indexOf('killed');
    const s = scheduleOf({ events: twoProcessesOnTicks(), serial, eventsDropped: 0, serialIcount: (offset) => (offset === at ? 1500 : 50) });
    expect(s.marks.filter((m) => m.kind === 'kill')).toEqual([{ at: 1.5, row: 2, kind: 'kill' }]);
    expect(scheduleView(s).marks.find((m) => m.kind === 'kill')!.title).toBe('killed by kill(), as the kernel\'s "killed pid N: kill()" line says at tick 1.5');
  });

  it('draws time in HLT on an idle row, as long as the waking interrupt says it slept', () => {
    const s = quiet([
      loadCr3(100, SPACE_A), iret(110, 3),
      timer(1000, 3), iret(1010, 0, 0x00100600),
      // The kernel halts at 1050 (icount stands still in HLT) and sleeps 950 instruction times to the next tick.
      timer(1050, 0, 950), iret(1060, 3), end(1200),
    ]);
    expect(s.rows.map((r) => r.kind)).toEqual(['boot', 'space', 'idle']);
    expect(spansOf(s.rows[2]!)).toEqual(['idle 1.05-2']);
    expect(spansOf(s.rows[1]!).at(-1)).toBe('user 2.01-2.15');
    expect(s.marks.map((m) => [m.at, s.rows[m.row]!.kind])).toEqual([[1, 'space'], [2, 'idle']]);
  });

  it('gives a wake-up from a HLT of no length its idle row, with nothing drawn in it', () => {
    const s = quiet([loadCr3(100, SPACE_A), iret(110, 3), timer(1000, 0, 0), end(1500)]);
    expect(s.rows.map((r) => [r.kind, r.spans.length])).toEqual([['boot', 1], ['space', 3], ['idle', 0]]);
    expect(s.marks).toEqual([{ at: 1, row: 2, kind: 'timer', vector: 0x20 }]);
  });

  it('stays small however long the run: coarse cells, exact shares, kills and faults before timer marks', () => {
    const events: EngineEvent[] = [loadCr3(10, SPACE_A), iret(20, 3)];
    for (let t = 1; t <= 400; t++) {
      const space = t % 2 === 0 ? SPACE_A : SPACE_B;
      events.push(timer(t * 1000, 3), loadCr3(t * 1000 + 10, space), iret(t * 1000 + 20, 3));
    }
    events.push(interrupt(400_500, { vector: 13, kind: 'exception', fromCpl: 3 }), end(400_600));
    const s = quiet(events);
    const spans = s.rows.flatMap((r) => r.spans);
    expect(spans.length).toBeLessThanOrEqual(MAX_SPANS);
    expect(s.cell).toBe(1.67); // 400.6 ticks in 240 cells, rounded up
    // 400 timer marks do not fit in MAX_MARKS: none is kept rather than the first ones, which would look like a timer that stopped.
    expect(400).toBeGreaterThan(MAX_MARKS);
    expect(s.marks).toEqual([{ at: 400.5, row: 1, kind: 'kill', vector: 13 }]);
    expect(s.marksDropped).toBe(400);
    // Each process reached ring 3 in every cell; their shares are counted before the cells, exactly.
    expect(s.rows[1]!.spans.filter((x) => x.ring === 'user').length).toBeLessThan(3);
    // 0.98 of each of 200 ticks in ring 3 each (20 instructions of every 1000 go to the switch), and A's 0.48 after the last.
    expect([s.rows[1]!.time.user, s.rows[2]!.time.user]).toEqual([196.48, 196]);
  });

  it('says so when the events stopped before the run did', () => {
    expect(scheduleOf({ events: twoProcessesOnTicks(), serial: '', eventsDropped: 3 }).eventsStopped).toBe(true);
    expect(quiet(twoProcessesOnTicks()).eventsStopped).toBeUndefined();
  });
});

describe('drawing a schedule', () => {
  it('reads as a line per process in the terminal: a character per tick, the kill on top', () => {
    expect(scheduleLines(twoProcessSchedule())).toEqual([
      'schedule (1 column = 1 tick; U ran in ring 3, k only in the kernel, - halted, . not running, * fault, X killed):',
      '  boot (before CR3 loads) |k.....| 3% kernel',
      '  pid 1 hello             |UUk.X.| 35% user, 5% kernel',
      '  pid 2 spin              |..UUk.| 31% user, 1% kernel',
      '  idle (HLT)              |....--| 23% halted',
    ]);
  });

  it('shows a process that reached ring 3 in a column as U, however briefly', () => {
    const brief: Schedule = {
      unit: 'tick', end: 2, marks: [], marksDropped: 0,
      rows: [{ kind: 'space', cr3: SPACE_A, ranUser: true, spans: [{ from: 0, to: 0.95, ring: 'kernel' }, { from: 0.95, to: 1, ring: 'user' }, { from: 1, to: 2, ring: 'kernel' }], time: { user: 0.05, kernel: 1.95, idle: 0 } }],
    };
    expect(scheduleLines(brief)[1]).toBe('  CR3 00401000 |Uk| 2% user, 97% kernel');
  });

  it('buckets a long or tickless run into at most 60 columns and says what a column is', () => {
    const s = quiet([loadCr3(100, SPACE_A), iret(110, 3), interrupt(90_000, { vector: 14, kind: 'exception', fromCpl: 3 }), end(100_000)]);
    const lines = scheduleLines(s);
    expect(lines[0]).toBe('schedule (no timer interrupt, 1 column = 2k instructions; U ran in ring 3, k only in the kernel, - halted, . not running, * fault, X killed):');
    // Labels are padded to the longest, the boot row's.
    expect(lines[2]).toBe(`  ${'CR3 00401000'.padEnd('boot (before CR3 loads)'.length)} |${'U'.repeat(45)}X${'k'.repeat(4)}| 89% user, 10% kernel`);
    expect(lines[1]).toMatch(/\|k\.+\| <1% kernel$/);
  });

  it('draws spans in place and coloured by ring, and every mark with a title', () => {
    const view = scheduleView(twoProcessSchedule());
    expect(view.rows.map((r) => r.label)).toEqual(['boot (before CR3 loads)', 'pid 1 hello · CR3 0020d000', 'pid 2 spin · CR3 0020e000', 'idle (HLT)']);
    // 540 units for 6 ticks, after 180 units of labels: tick 2.1 is at 180 + 189, and 1.9 ticks are 171 wide.
    expect(view.spans.find((s) => s.ring === 'user' && s.title.startsWith('pid 2'))).toMatchObject({ x: 369, width: 171, y: 43 });
    expect(view.rows[1]!.share).toBe('35% user, 5% kernel');
    expect(view.marks.map((m) => m.kind)).toEqual(['timer', 'syscall', 'timer', 'timer', 'timer', 'kill', 'timer', 'timer']);
    expect(view.marks[5]!.title).toBe('fault from ring 3 (#GP general protection), the process never ran again at tick 4.5');
    expect(view.ticks.map((t) => t.label)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(view.caption).toMatch(/^Time in timer ticks \(IRQ 0\)/);
  });

  it('is in the HTML report of a failed test, of a passed test that asks, and gone from a hidden one', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('<figcaption>Time in timer ticks (IRQ 0)');
    expect(html.match(/<rect class="span /g)).toHaveLength(9);
    expect(html.match(/<path class="mark kill"/g)).toHaveLength(1);
    const shown = { ...passingTest(), schedule: twoProcessSchedule() };
    expect(renderHtml({ ...allPassingReport(), tests: [shown] })).toContain('Schedule: who ran when');
    expect(renderHtml(allPassingReport())).not.toContain('Schedule: who ran when');
    expect(redactResult(failingTest()).schedule).toBeUndefined();
  });

  it('is left out of the terminal for a passed test', () => {
    const shown = { ...passingTest(), schedule: twoProcessSchedule() };
    expect(formatTerminal({ ...allPassingReport(), tests: [shown] }, { color: false })).not.toContain('schedule (');
    expect(formatTerminal(sampleReport(), { color: false })).toContain('     schedule (1 column = 1 tick;');
  });
});
