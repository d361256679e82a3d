// The replay commands, end to end: grade a failing kernel, take the command
// the terminal prints under the failed test, run it, and hold what it prints
// (guest output on stdout, events with --trace) against what the grader
// recorded for that test in report.html. The full `lab run` line and the QEMU
// line from the report must reproduce the same output too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { visibleText } from '../../grader/report/terminal.ts';
import { hasTool, needs } from '../host-tools.ts';
import { writeStagedKernel } from '../labs/staged-kernel.ts';
import { runLab, type LabProcess } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const COURSE = fileURLToPath(new URL('../fixtures/course', import.meta.url));

const tmp = mkdtempSync(join(tmpdir(), 'ringlab-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Both the grader and the printed commands run from the repository, as a student would run them. */
function lab(...args: string[]): LabProcess {
  return runLab(args, { cwd: REPO, stdoutEncoding: 'latin1' });
}

/** A printed command, as a student pastes it into a shell. */
function shell(command: string): LabProcess {
  const r = spawnSync('sh', ['-c', command], { cwd: REPO, timeout: 120_000, env: { ...process.env, LAB_HIDDEN: '' } });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** The commands the terminal summary prints under failed tests. */
function printedReplays(stdout: string): string[] {
  return [...stdout.matchAll(/^ {5}replay: (.*)$/gm)].map((m) => m[1]!);
}

function unescapeHtml(text: string): string {
  return text.replace(/&(lt|gt|quot|amp|#x27|#x60|#x3D);/g, (_, e: string) =>
    ({ lt: '<', gt: '>', quot: '"', amp: '&', '#x27': "'", '#x60': '`', '#x3D': '=' })[e]!);
}

/** What report.html shows of the test with this id: its serial output, its timeline, its replay commands, its exit status. */
function reportedTest(html: string, id: string) {
  const section = html.split('<section class="test').find((s) => s.includes(`<code>${id}</code>`));
  if (section === undefined) throw new Error(`no test ${id} in the report`);
  const pre = (cls: string) => {
    const m = new RegExp(`<details class="${cls}"[^>]*>\\s*<summary>[^<]*</summary>\\s*<pre>([\\s\\S]*?)</pre>`).exec(section);
    return m ? unescapeHtml(m[1]!) : '';
  };
  const replay = /<div class="replay">([\s\S]*?)<\/div>/.exec(section)?.[1] ?? '';
  const commands = [...replay.matchAll(/<pre>([\s\S]*?)<\/pre>/g)].map((m) => unescapeHtml(m[1]!));
  return {
    serial: pre('serial'),
    timeline: pre('timeline').split('\n').filter((l) => l !== ''),
    commands,
    exitStatus: /\(exit status (\d+)\)/.exec(section)?.[1],
  };
}

/** Guest output as the report shows it (CR LF as a line end, controls as \xNN). */
function asReported(stdout: string): string {
  return visibleText(stdout.replace(/\r\n/g, '\n'), { keepNewlines: true });
}

/** Event lines of a --trace, and the events of the grader's timeline (its output bursts are not events). */
function traceEvents(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('['));
}
function timelineEvents(timeline: string[]): string[] {
  return timeline.filter((l) => !/^\[\s*\d+\] \S+ output "/.test(l));
}

describe('replaying a failed test', needs('gcc', 'bwrap'), () => {
  it('lab 3 with ESP0 never set: the printed command and the full lab run line reproduce the serial output and the events', () => {
    // A student's kernel that forgets ESP0: the first trap from ring 3 ends in a triple fault.
    const submission = join(tmp, 'no-esp0');
    writeStagedKernel(3, join(submission, 'kernel'));
    const proc = join(submission, 'kernel/proc.c');
    const line = '  tss.esp0 = (uint32_t)(kstack + sizeof(kstack));\n';
    expect(readFileSync(proc, 'utf8')).toContain(line);
    writeFileSync(proc, readFileSync(proc, 'utf8').replace(line, ''));

    const out = join(tmp, 'no-esp0-report');
    const graded = lab('grade', '3', '--submission', submission, '--test', 'faults/cli', '--out', out);
    expect(graded.stderr).toBe('');
    expect(graded.status).toBe(1);
    const replays = printedReplays(graded.stdout);
    expect(replays).toEqual([`node grader/cli/lab.js run 3 --test faults/cli --submission ${submission}`]);

    const recorded = reportedTest(readFileSync(join(out, 'report.html'), 'utf8'), 'faults/cli: CLI (#GP 0) kills the process, then hello runs');
    expect(recorded.serial).toContain('exec pid 1: cli entry');
    expect(timelineEvents(recorded.timeline).at(-1)).toMatch(/ end: triple-fault: /);

    const replayed = shell(`${replays[0]} --trace`);
    expect(replayed.status).toBe(126);
    expect(asReported(replayed.stdout)).toBe(recorded.serial);
    const events = timelineEvents(recorded.timeline);
    expect(events.length).toBeGreaterThan(2);
    expect(traceEvents(replayed.stderr).slice(-events.length)).toEqual(events);

    // The report's full `lab run --kernel ... --module ...` line: the same run, module names and command lines included.
    const [, full, qemuLine] = recorded.commands;
    expect(full).toMatch(/^node grader\/cli\/lab\.js run --kernel build\/lab-03\/\w+\/kernel\.elf --module build\/lab-03\/\w+\/programs\/cli\.elf --module .*\/hello\.elf --ram 32 --max-instructions 5000000 --max-output 65536$/);
    const again = shell(`${full} --trace`);
    expect(again.status).toBe(126);
    expect(asReported(again.stdout)).toBe(recorded.serial);
    expect(traceEvents(again.stderr).slice(-events.length)).toEqual(events);
    expect(qemuLine).toMatch(/^qemu-system-i386 -kernel \S+kernel\.elf -initrd \S+cli\.elf,\S+hello\.elf -m 32 -serial stdio -display none -device isa-debug-exit,iobase=0xf4,iosize=1 -no-reboot$/);
  }, 180_000);

  it('a hidden test with module arguments and a kernel command line: replayed in full with --reveal, never shown without', () => {
    const hidden = join(tmp, 'hidden');
    mkdirSync(hidden);
    writeFileSync(join(hidden, 'extra.ts'), `
import { defineTest } from '${REPO}grader/api/spec.ts';
import { serialContains } from '${REPO}grader/api/checks.ts';
export default defineTest({
  name: 'says goodbye', points: 0, visibility: 'hidden', // the fixture lab's 10 points are all public
  modules: [{ program: 'hello', args: "a  'b'" }], cmdline: 'x y',
  checks: [serialContains('goodbye')],
});
`);
    const out = join(tmp, 'hidden-report');
    const graded = lab('grade', '1', '--course', COURSE, '--hidden', hidden, '--reveal', '--out', out);
    expect(graded.status).toBe(1);
    const replays = printedReplays(graded.stdout);
    expect(replays).toEqual([`node grader/cli/lab.js run 1 --test hidden/extra/says --course ${COURSE} --hidden ${hidden}`]);
    const recorded = reportedTest(readFileSync(join(out, 'report.html'), 'utf8'), 'hidden/extra/says goodbye');
    expect(recorded.serial).toBe('hello from the fixture kernel\n');
    expect(recorded.exitStatus).toBe('1');

    const replayed = shell(replays[0]!);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toBe(recorded.serial);

    const [, full, qemuLine] = recorded.commands;
    expect(full).toMatch(/ --module 'build\/lab-01\/\w+\/programs\/hello\.elf a  '\\''b'\\''' --cmdline 'x y' --ram 32 --max-instructions 1000000 --max-output 65536$/);
    const again = shell(full!);
    expect(again.status).toBe(1);
    expect(again.stdout).toBe(recorded.serial);
    if (hasTool('qemu')) {
      const underQemu = shell(`timeout 60 ${qemuLine}`);
      expect(underQemu.stdout).toBe(recorded.serial);
      expect(underQemu.status).toBe(1);
    }

    // Without --reveal the hidden test is a name and a score: no command that would tell how it runs.
    const student = lab('grade', '1', '--course', COURSE, '--hidden', hidden, '--out', join(tmp, 'hidden-redacted'));
    expect(student.status).toBe(1);
    expect(student.stdout).toMatch(/FAIL 0\/0 {2}says goodbye - hidden test: details are not shown/);
    expect(printedReplays(student.stdout)).toEqual([]);
    const html = readFileSync(join(tmp, 'hidden-redacted', 'report.html'), 'utf8');
    expect(html).not.toContain('class="replay"');
    expect(html).not.toContain('--test');
  }, 180_000);

  it('a passing test prints no replay, and a test that never ran (a build error) none either', () => {
    expect(printedReplays(lab('grade', '1', '--course', COURSE).stdout)).toEqual([]);
    const broken = lab('grade', '2', '--course', COURSE);
    expect(broken.status).toBe(2);
    expect(printedReplays(broken.stdout)).toEqual([]);
  }, 120_000);
});

describe('lab run N --test refuses what it cannot replay, with one line and status 2', () => {
  it('a pattern that matches several tests, naming them', () => {
    const run = lab('run', '1', '--course', COURSE, '--test', 'banner');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe("lab: --test 'banner' matches 2 tests (banner/prints, banner/exits); a replay runs one: give more of its id\n");
  });

  it('a machine of one\'s own with a test\'s, or half of either', () => {
    const mixed = lab('run', '1', '--course', COURSE, '--test', 'banner/prints', '--module', 'x');
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toMatch(/^lab: --module cannot be used with --test: the test sets up its own machine; [^\n]*\n$/);
    expect(lab('run', '--test', 'banner/prints').stderr).toBe('lab: --test needs the lab number first, as in lab run 3 --test banner/prints\n');
    expect(lab('run', '1').stderr).toMatch(/^lab: lab run 1 needs --test ID naming the test to replay [^\n]*\n$/);
    expect(lab('run', '--kernel', 'k.elf', '--course', COURSE).stderr).toMatch(/^lab: --course is for replaying a test [^\n]*\n$/);
  });
});
