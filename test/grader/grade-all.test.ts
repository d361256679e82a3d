// `lab grade-all` and `lab merge-grades` (issue 17): a course's submissions,
// hostile ones among them, graded with the instructor's course and hidden
// tests into one gradebook; shards that merge into the same bytes.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(REPO, 'test', 'fixtures', 'course');
const API = join(REPO, 'grader', 'api');

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-grade-all-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const course = join(scratch, 'course');
const hidden = join(scratch, 'hidden');
const subs = join(scratch, 'submissions');

function lab(...args: string[]) {
  return runLab(args, { cwd: scratch, timeoutMs: 300_000 });
}

/** A student's repository holding the fixture kernel, changed by `edit`. */
function student(id: string, edit: (kernel: string, repo: string) => void = () => {}): void {
  const repo = join(subs, id);
  mkdirSync(join(repo, 'labs'), { recursive: true });
  cpSync(join(FIXTURE, 'kernel'), join(repo, 'labs', 'kernel'), { recursive: true });
  edit(join(repo, 'labs', 'kernel'), repo);
}

function replaceIn(file: string, from: string, to: string): void {
  writeFileSync(file, readFileSync(file, 'utf8').replaceAll(from, to));
}

beforeAll(() => {
  cpSync(FIXTURE, course, { recursive: true });
  // The copy's specs reach the grader by its place, not by a path relative to the fixture's.
  replaceIn(join(course, 'shared', 'banner-tests.ts'), "'../../../../grader/api/", `'${API}/`);
  const manifest = join(course, '01-hello', 'lab.json');
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), points: 15 }));
  mkdirSync(hidden);
  writeFileSync(join(hidden, 'secret.ts'),
    `import { defineTest } from '${API}/spec.ts';\nimport { serialContains } from '${API}/checks.ts';\n` +
    "export default defineTest({ name: 'greets by name', points: 5, modules: [{ program: 'hello', args: 'HIDDEN-ARG-31' }], " +
    "checks: [serialContains('never printed: HIDDEN-EXPECTATION-77')] });\n");

  student('alice');
  student('bob', (k) => replaceIn(join(k, 'kmain.c'), 'hello from', 'goodbye from'));
  student('carol', (k) => writeFileSync(join(k, 'kmain.c'), `${readFileSync(join(k, 'kmain.c'), 'utf8')}\nint broken = ;\n`));
  mkdirSync(join(subs, 'dave'));
  student('erin', (k) => {
    rmSync(k, { recursive: true });
    symlinkSync(join(FIXTURE, 'kernel'), k);
  });
  // Their own test, worth 500 points and passing anything: a submission's tests are never read.
  student('frank', (_k, repo) => {
    mkdirSync(join(repo, 'labs', '01-hello', 'tests'), { recursive: true });
    writeFileSync(join(repo, 'labs', '01-hello', 'tests', 'banner.ts'),
      `import { defineTest } from '${API}/spec.ts';\nexport default defineTest({ name: 'free', points: 500, checks: [] });\n`);
  });
  student('=HYPERLINK("x")');
  writeFileSync(join(subs, 'notes.txt'), 'not a submission\n');

  // Archives, packed by the tools LMS exports use. gina: a repository wrapped in one top folder.
  const packing = join(scratch, 'packing');
  const pack = (cwd: string, tool: string, ...args: string[]) => {
    const r = spawnSync(tool, args, { cwd });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr.toString()}`);
  };
  mkdirSync(join(packing, 'gina-lab1-main', 'labs'), { recursive: true });
  cpSync(join(FIXTURE, 'kernel'), join(packing, 'gina-lab1-main', 'labs', 'kernel'), { recursive: true });
  pack(packing, 'zip', '-qr', join(subs, 'gina.zip'), 'gina-lab1-main');
  mkdirSync(join(packing, 'hank'));
  cpSync(join(FIXTURE, 'kernel'), join(packing, 'hank', 'kernel'), { recursive: true });
  replaceIn(join(packing, 'hank', 'kernel', 'kmain.c'), 'hello from', 'goodbye from');
  pack(join(packing, 'hank'), 'tar', '-czf', join(subs, 'hank.tar.gz'), 'kernel');
  // Hostile ones: a link to the host's files, a path out of the folder, a bomb.
  mkdirSync(join(packing, 'ivan', 'kernel'), { recursive: true });
  symlinkSync('/etc/passwd', join(packing, 'ivan', 'kernel', 'kmain.c'));
  pack(join(packing, 'ivan'), 'zip', '-qry', join(subs, 'ivan.zip'), 'kernel');
  mkdirSync(join(packing, 'jill', 'inner'), { recursive: true });
  writeFileSync(join(packing, 'jill', 'escape.c'), 'int x;\n');
  pack(join(packing, 'jill', 'inner'), 'tar', '-cPf', join(subs, 'jill.tar'), '../escape.c');
  writeFileSync(join(packing, 'zeros'), Buffer.alloc(70 << 20));
  pack(packing, 'zip', '-q', join(subs, 'kim.zip'), 'zeros');
});

const HEADER = 'student,status,score,max_score,banner/prints its banner on COM1 (6),banner/exits through isa-debug-exit with code 0 (4),hidden/secret/greets by name (5),detail';

describe('lab grade-all', needs('gcc', 'bwrap', 'zip'), () => {
  let full: string;

  it('grades every submission into one gradebook, whatever each one does', () => {
    const run = lab('grade-all', '1', subs, '--course', course, '--hidden', hidden, '--out', join(scratch, 'all'));
    expect(run.stdout).toBe(
      `12 submissions: 6 graded, 2 did not build, 4 with nothing to grade (no kernel tree, a bad archive, a failed clone), 0 grader errors; mean 4/15, median 2; ${join(scratch, 'all', 'gradebook.csv')}, ${join(scratch, 'all', 'summary.html')}\n`,
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/^\[\d+\/12\] =HYPERLINK\("x"\): 10\/15 /m);
    expect(run.stderr).toContain('grade-all: skipped notes.txt: neither a folder nor a .zip, .tar, .tar.gz or .tgz archive\n');
    full = readFileSync(join(scratch, 'all', 'gradebook.csv'), 'utf8');
    const lines = full.split('\r\n');
    // The compiler's own words, whose column numbers vary between its versions.
    expect(lines[4]).toMatch(/^carol,build-error,0,15,0,0,0,kmain\.c:26:\d+: error: expected expression before ';' token$/);
    expect(lines.filter((_, i) => i !== 4)).toEqual([
      HEADER,
      // A cell a spreadsheet would run as a formula is marked as text.
      `"'=HYPERLINK(""x"")",graded,10,15,6,4,0,`,
      'alice,graded,10,15,6,4,0,',
      'bob,graded,4,15,0,4,0,',
      'dave,no-submission,0,15,,,,dave has neither labs/kernel/ nor kernel/',
      'erin,build-error,0,15,0,0,0,kernel/boot.S: reached through a symbolic link in the submission; the build takes files inside it only',
      'frank,graded,10,15,6,4,0,',
      'gina,graded,10,15,6,4,0,',
      'hank,graded,4,15,0,4,0,',
      'ivan,no-submission,0,15,,,,ivan.zip: kernel/kmain.c is a link; a submission holds regular files only',
      "jill,no-submission,0,15,,,,jill.tar: ../escape.c: a path that leaves the archive's folder",
      'kim,no-submission,0,15,,,,kim.zip: unpacks to more than 64 MiB',
      '',
    ]);
  });

  it("writes each student's reports as the student may see them: hidden tests by name and score only", () => {
    const dir = join(scratch, 'all', 'students', 'alice');
    for (const file of ['report.html', 'results.json', 'junit.xml']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).toContain('greets by name');
      expect(text).not.toContain('HIDDEN-EXPECTATION-77');
      expect(text).not.toContain('HIDDEN-ARG-31');
    }
    expect(existsSync(join(scratch, 'all', 'students', 'dave'))).toBe(false);
  });

  it('shards merge into the very gradebook one run writes', () => {
    const shards = ['1/3', '2/3', '3/3'].map((s, i) => {
      const out = join(scratch, `shard-${i}`);
      expect(lab('grade-all', '1', subs, '--course', course, '--hidden', hidden, '--out', out, '--shard', s).status).toBe(0);
      return out;
    });
    expect(readFileSync(join(shards[0]!, 'gradebook.csv'), 'utf8').split('\r\n')).toHaveLength(1 + 4 + 1);
    const merged = lab('merge-grades', join(scratch, 'merged'), ...shards);
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(0);
    for (const file of ['gradebook.csv', 'grades.json', 'summary.html']) {
      expect(readFileSync(join(scratch, 'merged', file), 'utf8'), file).toBe(readFileSync(join(scratch, 'all', file), 'utf8'));
    }
    expect(readFileSync(join(scratch, 'merged', 'gradebook.csv'), 'utf8')).toBe(full);
    expect(existsSync(join(scratch, 'merged', 'students', 'frank', 'report.html'))).toBe(true);

    const twice = lab('merge-grades', join(scratch, 'twice'), shards[0]!, shards[0]!);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/^lab: student \S+ is graded both in .* and in .*; merge each shard once\n$/);
  });

  it('--regrade grades again only what changed, lists whose result changed, and ends as a fresh run would', () => {
    const out = join(scratch, 'regrade');
    const grade = (...extra: string[]) => lab('grade-all', '1', subs, '--course', course, '--hidden', hidden, '--out', out, ...extra);
    expect(grade().status).toBe(0);
    // Nothing changed: only rows without a graded build (their build is redone, from the step cache) are graded again.
    const same = grade('--regrade');
    expect(same.stdout).toMatch(/\nregrade: 6 of 12 submissions graded again; 0 results changed\n$/);

    // bob fixes his banner.
    replaceIn(join(subs, 'bob', 'labs', 'kernel', 'kmain.c'), 'goodbye from', 'hello from');
    const fixed = grade('--regrade');
    expect(fixed.stdout).toMatch(/\nregrade: 7 of 12 submissions graded again; 1 results changed\n {2}bob: 4 -> 10\n$/);

    // The hidden test is made to pass: every graded submission is graded again, and gains its points.
    const spec = join(hidden, 'secret.ts');
    const original = readFileSync(spec, 'utf8');
    writeFileSync(spec, original.replace("never printed: HIDDEN-EXPECTATION-77", 'hello from'));
    try {
      const easier = grade('--regrade');
      expect(easier.stdout).toMatch(/\nregrade: 12 of 12 submissions graded again; 5 results changed\n {2}=HYPERLINK\("x"\): 10 -> 15\n {2}alice: 10 -> 15\n {2}bob: 10 -> 15\n {2}frank: 10 -> 15\n {2}gina: 10 -> 15\n$/);
      const fresh = join(scratch, 'regrade-fresh');
      lab('grade-all', '1', subs, '--course', course, '--hidden', hidden, '--out', fresh);
      for (const file of ['gradebook.csv', 'grades.json', 'summary.html']) {
        expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(join(fresh, file), 'utf8'));
      }
    } finally {
      writeFileSync(spec, original);
      replaceIn(join(subs, 'bob', 'labs', 'kernel', 'kmain.c'), 'hello from', 'goodbye from');
    }
    const nothing = lab('grade-all', '1', subs, '--course', course, '--out', join(scratch, 'never'), '--regrade');
    expect(nothing.stderr).toBe(`lab: --regrade: ${join(scratch, 'never', 'grades.json')} is not there; grade into ${join(scratch, 'never')} once without --regrade first\n`);
    expect(nothing.status).toBe(2);
  });

  it('bad input is one line and exit status 2', () => {
    const shard = lab('grade-all', '1', subs, '--course', course, '--out', join(scratch, 'x'), '--shard', '4/3');
    expect(shard.stderr).toBe("lab: --shard must be I/N with 1 <= I <= N (this job's slice of N), such as 2/4, not '4/3'\n");
    expect(shard.status).toBe(2);
    const nowhere = lab('grade-all', '1', join(scratch, 'nowhere'), '--course', course, '--out', join(scratch, 'x'));
    expect(nowhere.stderr).toBe(`lab: ${join(scratch, 'nowhere')}: no such directory of submissions; give a folder holding one folder per student, or a list file of repositories\n`);
    expect(nowhere.status).toBe(2);
    const notShard = lab('merge-grades', join(scratch, 'y'), subs);
    expect(notShard.stderr).toBe(`lab: ${join(subs, 'grades.json')}: no grades here; give the --out folders of lab grade-all --shard runs\n`);
    expect(notShard.status).toBe(2);
  });
});

describe('lab grade-all with a list file of repositories', needs('gcc', 'bwrap', 'git'), () => {
  const repos = join(scratch, 'repos');
  const git = (cwd: string, ...args: string[]): string => {
    const r = spawnSync('git', ['-c', 'user.name=Student', '-c', 'user.email=s@example.edu', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  /** A student's repository (a bare one, as a server holds it) with the fixture kernel, changed by each edit in a commit of its own; each commit's id. */
  const repository = (name: string, ...edits: ((kernel: string) => void)[]): string[] => {
    const work = join(repos, `${name}-work`);
    mkdirSync(join(work, 'labs'), { recursive: true });
    cpSync(join(FIXTURE, 'kernel'), join(work, 'labs', 'kernel'), { recursive: true });
    git(work, 'init', '-q');
    const commits: string[] = [];
    for (const edit of [() => {}, ...edits]) {
      edit(join(work, 'labs', 'kernel'));
      git(work, 'add', '-A');
      git(work, 'commit', '-qm', 'work');
      commits.push(git(work, 'rev-parse', 'HEAD'));
    }
    git(repos, 'clone', '-q', '--bare', work, `${name}.git`);
    return commits;
  };
  let lenaFirst: string;

  beforeAll(() => {
    mkdirSync(repos);
    // Lena's last commit, after the deadline, breaks the banner; the list grades the one before.
    lenaFirst = repository('lena', (k) => replaceIn(join(k, 'kmain.c'), 'hello from', 'goodbye from'))[0]!;
    repository('lab1-milo');
    // Nina's kernel is a link to the instructor's: a clone checks it out as a plain file.
    const nina = join(repos, 'nina-work');
    mkdirSync(join(nina, 'labs'), { recursive: true });
    symlinkSync(join(FIXTURE, 'kernel'), join(nina, 'labs', 'kernel'));
    git(nina, 'init', '-q');
    git(nina, 'add', '-A');
    git(nina, 'commit', '-qm', 'link');
    git(repos, 'clone', '-q', '--bare', nina, 'nina.git');
  });

  it('clones each at the revision listed, grades it, and records the commit graded', () => {
    const list = join(repos, 'roster.txt');
    writeFileSync(list, [
      '# student  repository  deadline commit',
      `lena file://${repos}/lena.git ${lenaFirst}`,
      `file://${repos}/lab1-milo.git`,
      `nina file://${repos}/nina.git`,
      `omar file://${repos}/no-such-repository.git`,
      `pat file://${repos}/lab1-milo.git no-such-branch`,
      '',
      '# folders and archives, relative to this file, as a directory of submissions holds them',
      'quinn ../submissions/bob',
      '../submissions/gina.zip',
    ].join('\n'));
    const run = lab('grade-all', '1', list, '--course', course, '--hidden', hidden, '--out', join(scratch, 'listed'));
    expect(run.stderr).not.toContain('skipped');
    expect(run.status).toBe(0);
    const milo = git(join(repos, 'lab1-milo.git'), 'rev-parse', 'HEAD');
    const lines = readFileSync(join(scratch, 'listed', 'gradebook.csv'), 'utf8').split('\r\n');
    expect(lines[0]).toBe(`${HEADER},commit`);
    expect(lines.slice(1)).toEqual([
      'gina,graded,10,15,6,4,0,,',
      `lab1-milo,graded,10,15,6,4,0,,${milo}`,
      `lena,graded,10,15,6,4,0,,${lenaFirst}`,
      `nina,no-submission,0,15,,,,file://${repos}/nina.git at HEAD has neither labs/kernel/ nor kernel/,${git(join(repos, 'nina.git'), 'rev-parse', 'HEAD')}`,
      expect.stringMatching(new RegExp(`^omar,no-submission,0,15,,,,git clone file://${repos}/no-such-repository.git: .*does not appear to be a git repository,$`)),
      expect.stringMatching(/^pat,no-submission,0,15,,,,file:\/\/.*lab1-milo\.git: revision no-such-branch: .+,$/),
      'quinn,graded,4,15,0,4,0,,',
      '',
    ]);
  });

  it('refuses a list it cannot read as one, naming the line', () => {
    const bad = join(repos, 'bad.txt');
    writeFileSync(bad, `ok file://${repos}/lena.git\nrita ext::sh -c touch% /tmp/pwned\n`);
    const ext = lab('grade-all', '1', bad, '--course', course, '--out', join(scratch, 'x'));
    expect(ext.stderr).toBe(`lab: ${bad}:2: ext:: sources run commands; give a git URL\n`);
    expect(ext.status).toBe(2);
    writeFileSync(bad, 'just-an-id\n');
    const noSource = lab('grade-all', '1', bad, '--course', course, '--out', join(scratch, 'x'));
    expect(noSource.stderr).toBe(`lab: ${bad}:1: each line is [ID] SOURCE [REVISION], SOURCE a git URL or a folder or archive\n`);
    expect(noSource.status).toBe(2);
  });
});
