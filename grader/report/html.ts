// The HTML report: one self-contained file a student opens from disk or on a
// phone. Everything shown is computed here into a plain view; the templates
// only lay it out, and only with {{ }} so that every guest byte is escaped.

import type { CheckResult, Diagnosis, GradeReport, Replay, TestResult } from '../model.ts';
import { hexDigits } from '../../engine/hex.ts';
import { compileTemplate } from './templates.ts';
import { addressSpaceView, type AddressSpaceView } from './address-space-view.ts';
import { scheduleView, type ScheduleView } from './schedule-view.ts';
import { formatPoints, formatWhere, visibleText } from './terminal.ts';

/** The order an x86 programmer reads registers in; anything else follows alphabetically. */
const REGISTER_ORDER = [
  'eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags',
  'cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldtr', 'cr0', 'cr2', 'cr3', 'cr4',
];
/** Selectors are 16 bits; printing them as 8 digits hides the RPL at a glance. */
const SELECTORS = new Set(['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldtr']);

const STATUS_LABEL: Record<TestResult['status'], string> = { passed: 'passed', failed: 'failed', error: 'error' };

interface CheckView {
  name: string;
  passed: boolean;
  points?: string;
  expected?: string;
  observed?: string;
  where?: string;
}

interface TestView {
  addressSpaces: AddressSpaceView[];
  /** Present for a failed test, and for a passed one whose spec asked (showSchedule). */
  schedule?: ScheduleView;
  anchor: string;
  name: string;
  id: string;
  status: string;
  passed: boolean;
  points: string;
  visibility: string;
  hidden: boolean;
  reason: string;
  runEnd?: string;
  runMessage?: string;
  exitStatus?: string;
  instructions?: string;
  checks: CheckView[];
  serial?: string;
  timeline: string[];
  screen?: string;
  registers: { name: string; value: string }[];
  replay?: Replay;
  diagnosis?: DiagnosisView;
}

/** Why a failed test failed, shown above its checks, with the events that led to it beside it. */
interface DiagnosisView {
  headline: string;
  events: string[];
  where?: string;
}

export interface ReportView {
  title: string;
  lab: { number: number; slug: string; title: string };
  score: string;
  maxScore: string;
  allPassed: boolean;
  passedCount: number;
  testCount: number;
  fatal?: string;
  buildLog?: string;
  revealed: boolean;
  tests: TestView[];
}

let compiled: ((view: ReportView) => string) | undefined;

function template(): (view: ReportView) => string {
  compiled ??= compileTemplate<ReportView>('report.hbs');
  return compiled;
}

export function renderHtml(report: GradeReport): string {
  return template()(reportView(report));
}

/** The data the template sees; exported so tests can check content without parsing HTML. */
export function reportView(report: GradeReport): ReportView {
  const tests = report.tests.map((test, i) => testView(test, i));
  return {
    title: `Lab ${report.lab.number}: ${report.lab.title}`,
    lab: report.lab,
    score: formatPoints(report.score),
    maxScore: formatPoints(report.maxScore),
    allPassed: tests.every((t) => t.passed) && !report.fatal && report.buildLog === undefined,
    passedCount: tests.filter((t) => t.passed).length,
    testCount: tests.length,
    fatal: report.fatal === undefined ? undefined : guestText(report.fatal),
    buildLog: report.buildLog === undefined ? undefined : guestText(report.buildLog),
    revealed: report.revealed,
    tests,
  };
}

function testView(test: TestResult, index: number): TestView {
  const run = test.run as TestResult['run'] | undefined;
  const screen = test.screen as string[] | undefined;
  return {
    // Anchors from the position, not the name: names are free text and may repeat.
    anchor: `test-${index + 1}`,
    name: test.name,
    id: test.id,
    status: STATUS_LABEL[test.status] ?? String(test.status),
    passed: test.status === 'passed',
    points: `${formatPoints(test.score)}/${formatPoints(test.maxScore)}`,
    visibility: test.visibility,
    hidden: test.hidden,
    reason: guestText(test.reason ?? ''),
    runEnd: run?.end,
    runMessage: run?.message ? guestText(run.message) : undefined,
    exitStatus: run?.exitStatus === undefined ? undefined : String(run.exitStatus),
    instructions: run && run.instructions > 0 ? run.instructions.toLocaleString('en-US') : undefined,
    checks: (test.checks ?? []).map(checkView),
    serial: test.serial ? guestText(test.serial) : undefined,
    timeline: (test.timeline ?? []).map(guestText),
    screen: screen && screen.length > 0 ? screen.map((line) => guestText(line).trimEnd()).join('\n') : undefined,
    registers: registerViews(test.registers ?? {}),
    // Every key present, as the strict template wants; a passed test has nothing to replay.
    replay: test.replay && test.status !== 'passed' ? { test: test.replay.test, run: test.replay.run, qemu: test.replay.qemu } : undefined,
    diagnosis: test.diagnosis && test.status !== 'passed' ? diagnosisView(test.diagnosis) : undefined,
    addressSpaces: test.status !== 'passed' ? (test.addressSpaces ?? []).map(addressSpaceView) : [],
    schedule: test.schedule ? scheduleView(test.schedule) : undefined,
  };
}

function diagnosisView(d: Diagnosis): DiagnosisView {
  return { headline: guestText(d.headline), events: d.events.map(guestText), where: d.where ? formatWhere(d.where) : undefined };
}

/**
 * Guest text as the page shows it: escaping is the template's job, but control
 * bytes (ESC from a colour sequence, NUL) would render as blank boxes, so they
 * become visible \xNN. CR LF is a serial line end, not two characters to show.
 */
function guestText(text: string): string {
  return visibleText(text.replace(/\r\n/g, '\n'), { keepNewlines: true });
}

function checkView(check: CheckResult): CheckView {
  return {
    name: guestText(check.name),
    passed: check.passed,
    points: check.points === undefined ? undefined : formatPoints(check.points),
    expected: check.expected === undefined ? undefined : guestText(check.expected),
    observed: check.observed === undefined ? undefined : guestText(check.observed),
    where: check.where ? formatWhere(check.where) : undefined,
  };
}

function registerViews(registers: Record<string, number>): { name: string; value: string }[] {
  const rank = (name: string) => {
    const i = REGISTER_ORDER.indexOf(name);
    return i < 0 ? REGISTER_ORDER.length : i;
  };
  return Object.keys(registers)
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, value: hexDigits(registers[name]!, SELECTORS.has(name) ? 4 : 8) }));
}
