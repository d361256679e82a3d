// `lab package 3 --gradescope` (issue 17): the autograder.zip unpacked into a
// folder laid out as Gradescope lays out /autograder, and run_autograder run
// there as Gradescope runs it (as root, builds as the user nobody), for a
// correct submission, one with no kernel tree, and one that tries to read the
// hidden tests at compile time. setup.sh is not run: it installs packages.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { writeStagedKernel } from '../labs/staged-kernel.ts';
import { runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HIDDEN_SPEC = 'labs/03-usermode/hidden/more-faults.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-gradescope-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const zip = join(scratch, 'autograder.zip');

interface Results {
  score?: number;
  output: string;
  tests: { name: string; score: number; max_score: number; visibility: string; output: string }[];
}

let n = 0;
/** A fresh /autograder with the package in source/ and `submit` writing submission/; returns results.json and run_autograder's stdout. */
function autograde(submit: (dir: string) => void): { results: Results; stdout: string } {
  const root = join(scratch, `autograder-${n++}`);
  mkdirSync(join(root, 'source'), { recursive: true });
  const unpack = spawnSync('unzip', ['-q', zip, '-d', join(root, 'source')]);
  expect(unpack.status, unpack.stderr.toString()).toBe(0);
  // What setup.sh's npm ci would install.
  symlinkSync(join(REPO, 'node_modules'), join(root, 'source', 'ringlab', 'node_modules'));
  mkdirSync(join(root, 'submission'));
  submit(join(root, 'submission'));
  const run = spawnSync('bash', [join(root, 'source', 'run_autograder')], {
    cwd: root, timeout: 300_000, env: { ...process.env, AUTOGRADER_ROOT: root, LAB_SANDBOX: '' },
  });
  expect(run.status, run.stderr.toString()).toBe(0);
  return { results: JSON.parse(readFileSync(join(root, 'results', 'results.json'), 'utf8')) as Results, stdout: run.stdout.toString() };
}

/** Every file name of the package, by listing it with Info-ZIP (an oracle for our ZIP writer). */
function listing(): string[] {
  const r = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

describe('lab package --gradescope', needs('gcc', 'zip', 'user-sandbox'), () => {
  beforeAll(() => {
    const made = runLab(['package', '3', '--gradescope', '--out', zip], { cwd: scratch, timeoutMs: 600_000 });
    expect(made.stderr).toBe('');
    expect(made.stdout).toMatch(/: Gradescope autograder for lab 3, \d+ KiB; hidden tests from .*hidden; upload it as the assignment's autograder\n$/);
  });

  it('holds setup.sh, run_autograder, the grader and the hidden tests, and no solution region', () => {
    const test = spawnSync('unzip', ['-tq', zip], { encoding: 'utf8' });
    expect(test.stdout).toMatch(/^No errors detected/);
    const files = listing();
    expect(files).toEqual(expect.arrayContaining(['setup.sh', 'run_autograder', 'ringlab/grader/cli/lab.js', `ringlab/${HIDDEN_SPEC}`]));
    const unpacked = join(scratch, 'listing');
    spawnSync('unzip', ['-q', zip, '-d', unpacked]);
    for (const file of readdirSync(join(unpacked, 'ringlab', 'labs', 'kernel'))) {
      expect(readFileSync(join(unpacked, 'ringlab', 'labs', 'kernel', file), 'utf8'), file).not.toMatch(/BEGIN SOLUTION/);
    }
    const pkg = JSON.parse(readFileSync(join(unpacked, 'ringlab', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.ringlabRelease).toBeUndefined();
    expect(pkg.ringlabAutograder).toEqual({ lab: 3, platform: 'gradescope' });
    const zipInfo = spawnSync('zipinfo', [zip, 'run_autograder', 'setup.sh'], { encoding: 'utf8' }).stdout;
    expect(zipInfo.match(/^-rwxr-xr-x/gm)).toHaveLength(2);
  });

  it('grades a correct submission to full marks, hidden tests by name and score only', () => {
    const { results } = autograde((dir) => writeStagedKernel(3, join(dir, 'labs', 'kernel')));
    expect(results.score).toBe(100);
    const hidden = results.tests.filter((t) => t.visibility !== 'visible' || t.name.startsWith('hidden'));
    expect(results.tests.length).toBeGreaterThan(hidden.length);
    const text = JSON.stringify(results);
    // A hidden test's source (what it checks) never reaches the student.
    const spec = readFileSync(join(REPO, HIDDEN_SPEC), 'utf8');
    const checked = /serialInOrder\(\[\s*'([^']{12,})'/.exec(spec)?.[1];
    if (checked !== undefined) expect(text).not.toContain(checked);
  });

  it('a submission with no kernel tree scores 0, and results.json says why', () => {
    const { results } = autograde((dir) => writeFileSync(join(dir, 'README.md'), 'forgot the code\n'));
    // Gradescope's format wants a score when there are no tests; the student's mistake is worth 0, as in grade-all.
    expect(results.score).toBe(0);
    expect(results.tests).toEqual([]);
    expect(results.output).toMatch(/^No kernel tree in this submission: upload your repository \(with labs\/kernel\/\), or its labs\/ folder\.\n.*has neither labs\/kernel\/ nor kernel\//);
  });

  it('a kernel that .incbin-s a hidden test at build time does not build, and quotes nothing of it', () => {
    let target = '';
    const { results } = autograde((submission) => {
      // Zipped as its folder, not its contents: the repository arrives wrapped in that folder.
      const dir = join(submission, 'lab3-main');
      writeStagedKernel(3, join(dir, 'labs', 'kernel'));
      const boot = join(dir, 'labs', 'kernel', 'boot.S');
      target = join(submission, '..', 'source', 'ringlab', HIDDEN_SPEC);
      writeFileSync(boot, `${readFileSync(boot, 'utf8')}\n.section .rodata\n.incbin "${target}"\n`);
    });
    // The file is there; the assembler, running as nobody, cannot open it (gas calls that "not found").
    expect(existsSync(target)).toBe(true);
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/boot\.S:\d+: Error: file not found: .*more-faults\.ts/);
    expect(JSON.stringify(results)).not.toContain('defineTest');
  });
});
