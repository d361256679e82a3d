// `lab release`: the student's repository has the grader, the stripped
// kernel, only the labs up to N and nothing instructor-only, and it grades
// itself to the manifest's starter score. What tools and editors leave in the
// instructor's tree (built kernels, caches, backups) stays out of it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRelease, writeRelease } from '../../grader/authoring/release.ts';
import { parseRegions, solutionSpan, type Region } from '../../grader/course/solution-regions.ts';
import { needs } from '../host-tools.ts';
import { lab, runLab } from '../lab-cli.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const COURSE = fileURLToPath(new URL('../fixtures/course-regions', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ringlab-release-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab release', () => {
  it('writes lab 1 with its solutions cut out and checks the starter score', needs('gcc', 'bwrap'), () => {
    const out = join(work, 'lab1');
    const run = lab('release', '1', '--course', COURSE, '--out', out);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('check: the starter builds and scores 4/10');
    expect(run.status).toBe(0);

    const kmain = readFileSync(join(out, 'labs/kernel/kmain.c'), 'utf8');
    expect(kmain).toContain('/* STUDENT lab1: wait until the transmitter is empty, then write c to COM1 */');
    expect(kmain).toContain('// STUDENT lab2: compute the answer into a');
    expect(kmain).not.toContain('outb(COM1, (unsigned char)c);');
    expect(kmain).not.toContain('6 * 7');
    expect(kmain).not.toMatch(/SOLUTION/);
    expect(readFileSync(join(out, 'labs/kernel/boot.S'), 'utf8')).not.toContain('popfl');

    for (const gone of ['labs/01-serial/hidden', 'labs/01-serial/mutants', 'labs/01-serial/instructor-notes.md', 'labs/02-more', 'node_modules', 'build']) {
      expect(existsSync(join(out, gone)), gone).toBe(false);
    }
    for (const kept of ['grader/cli/lab.js', 'engine', 'templates/handout.hbs', 'package.json', 'package-lock.json', 'README.md', 'labs/01-serial/handout.html']) {
      expect(existsSync(join(out, kept)), kept).toBe(true);
    }
    // The spec now imports the released grader, wherever the course used to sit.
    expect(readFileSync(join(out, 'labs/01-serial/tests/banner.ts'), 'utf8')).toContain("from '../../../grader/api/spec.ts'");
  });

  it("says in one line to run npm ci when the student runs lab before it", needs('gcc', 'bwrap'), () => {
    const out = join(work, 'lab1');
    if (!existsSync(out)) lab('release', '1', '--course', COURSE, '--out', out);
    const before = spawnSync(process.execPath, [join(out, 'grader/cli/lab.js'), 'grade', '1'], { cwd: out, encoding: 'utf8' });
    expect(before.stderr).toBe(`lab: the npm packages this tool needs are not installed in ${out}; run \`npm ci\` there, then this command again\n`);
    expect(before.stdout).toBe('');
    expect(before.status).toBe(2);
  });

  it('keeps earlier labs\' solutions in a later lab\'s release', needs('gcc', 'bwrap'), async () => {
    const out = join(work, 'lab2');
    const { lab: lab2 } = await writeRelease(COURSE, 2, out);
    const kmain = readFileSync(join(out, 'labs/kernel/kmain.c'), 'utf8');
    expect(kmain).toContain('outb(COM1, (unsigned char)c);');
    expect(kmain).not.toContain('STUDENT lab1');
    expect(kmain).toContain('// STUDENT lab2: compute the answer into a');
    expect(existsSync(join(out, 'labs/01-serial/tests/banner.ts'))).toBe(true);
    const check = await checkRelease(out, lab2);
    expect(check).toMatchObject({ ok: true, score: 2, maxScore: 5, expected: 2 });
  });

  it('reports a starter score that differs from the manifest', needs('gcc', 'bwrap'), async () => {
    const out = join(work, 'leaky');
    const { lab: lab1 } = await writeRelease(COURSE, 1, out);
    // As if the solution had leaked into the release.
    const file = join(out, 'labs/kernel/kmain.c');
    const solved = readFileSync(join(COURSE, 'kernel/kmain.c'), 'utf8');
    // Every marker line goes: a stray BEGIN SOLUTION would make the build read the file as the course's and refuse it.
    writeFileSync(file, solved.replace(/^.*(BEGIN|END) SOLUTION.*\n/gm, ''));
    const check = await checkRelease(out, lab1);
    expect(check.ok).toBe(false);
    expect(check.problem).toMatch(/scores 10, not the manifest's starterScore 4/);
  });

  it('refuses an --out directory that is not empty, and leaves it alone', () => {
    const out = join(work, 'busy');
    rmSync(out, { recursive: true, force: true });
    lab('release', '1', '--course', COURSE, '--out', out, '--no-check');
    const run = lab('release', '1', '--course', COURSE, '--out', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^lab: --out .* is not an empty directory[^\n]*\n$/);
    expect(existsSync(join(out, 'labs/kernel/kmain.c'))).toBe(true);
  });
});

describe('lab release of a tree with build outputs, caches and backups in it', () => {
  // A copy of this checkout's tool and course, so strays can be planted where
  // builds, caches and editors leave them without touching the real tree.
  const tool = join(work, 'tool');
  const course = join(tool, 'labs');
  /** The first bytes of an ELF32 file: enough for anything that checks the magic. */
  const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0]);
  const withSolutions = readFileSync(join(REPO, 'labs/kernel/trap.c'));
  const STRAYS: Record<string, Buffer | string> = {
    'grader/build/lab-03/c275c75b/kernel.elf': ELF, // how the lab 3 reference once shipped
    'grader/build/js/work/grader/api/spec.ts.mjs': 'export {};\n', // a kind the tool takes, but compiled
    'grader/cli/lab.o': ELF,
    'engine/.cache/decode.ts': 'export {};\n',
    'engine/cpu/decode.ts~': 'export {};\n',
    'templates/report.hbs.orig': '<p>old</p>\n',
    'labs/kernel/kernel.o': ELF,
    'labs/kernel/libk.a': '!<arch>\n',
    'labs/kernel/build/kernel.elf': ELF,
    'labs/kernel/cache/trap.c': withSolutions,
    'labs/kernel/.cache/trap.c': withSolutions,
    'labs/kernel/trap.c~': withSolutions,
    'labs/kernel/#trap.c#': withSolutions,
    'labs/kernel/.trap.c.swp': withSolutions,
    'labs/03-usermode/build/programs/hello.elf': ELF,
    'labs/03-usermode/programs/hello/hello.o': ELF,
    'labs/03-usermode/tests/.cache/hello.ts.mjs': 'export {};\n',
    'labs/01-boot/build/lab-01/kernel.elf': ELF,
  };

  beforeAll(() => {
    for (const part of ['engine', 'grader', 'templates', 'labs', 'package.json', 'package-lock.json', 'tsconfig.json']) {
      cpSync(join(REPO, part), join(tool, part), { recursive: true });
    }
    for (const [rel, bytes] of Object.entries(STRAYS)) {
      mkdirSync(dirname(join(tool, rel)), { recursive: true });
      writeFileSync(join(tool, rel), bytes);
    }
  });

  for (const n of [1, 3, 4]) {
    it(`leaves them and every solution of lab ${n} and later out of lab ${n}'s release`, async () => {
      const out = join(work, `strays-lab${n}`);
      const { leftOut } = await writeRelease(course, n, out, { toolRoot: tool });
      const files = filesUnder(out);
      expect(files).toContain('labs/kernel/trap.c');

      const problems: string[] = [];
      for (const rel of files) {
        const bytes = readFileSync(join(out, rel));
        const dirs = rel.split('/').slice(0, -1);
        const name = rel.split('/').pop() ?? '';
        if (bytes.subarray(0, 4).equals(ELF.subarray(0, 4))) problems.push(`${rel}: an ELF file`);
        if (/\.(o|elf|a)$/.test(name)) problems.push(`${rel}: an object, executable or archive by its name`);
        if (dirs.some((d) => /^(build|cache|\.cache)$/.test(d))) problems.push(`${rel}: under a build or cache directory`);
        if (name.startsWith('.') && rel !== '.gitignore') problems.push(`${rel}: a dot-file`);
        if (/[~#]$|\.orig$/.test(name)) problems.push(`${rel}: an editor's backup`);
      }
      expect.soft(problems).toEqual([]);

      const solution = solutionLines(join(REPO, 'labs'), n, ['engine', 'grader', 'templates'].map((d) => join(REPO, d)));
      expect(solution.size).toBeGreaterThan(10);
      const leaked: string[] = [];
      for (const rel of files) {
        const bytes = readFileSync(join(out, rel));
        if (bytes.includes(0)) continue;
        bytes.toString('utf8').split('\n').forEach((line, i) => {
          if (solution.has(line.trim())) leaked.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
      }
      expect.soft(leaked, 'lines of solution regions of lab n and later in the release').toEqual([]);

      // What no allow-list takes is named, so an instructor sees a file a student might need; outputs and dot-files are not.
      const named = leftOut.map((f) => f.slice(tool.length + 1).split('\\').join('/'));
      expect(named).toEqual(expect.arrayContaining(['engine/cpu/decode.ts~', 'templates/report.hbs.orig', 'labs/kernel/kernel.o', 'labs/kernel/trap.c~', 'labs/kernel/#trap.c#']));
      expect(named.filter((f) => /(^|\/)(build|cache|\.[^/]*)\//.test(f) || /\/\.[^/]*$/.test(f))).toEqual([]);
    });
  }

  it('keeps the lab command\'s script executable', async () => {
    const out = join(work, 'modes');
    await writeRelease(course, 1, out, { toolRoot: tool });
    expect(statSync(join(tool, 'grader/cli/lab.js')).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, 'grader/cli/lab.js')).mode & 0o777).toBe(statSync(join(tool, 'grader/cli/lab.js')).mode & 0o777);
    expect(statSync(join(out, 'grader/cli/run-command.ts')).mode & 0o111).toBe(0);
  });

  it('refuses a file named like a source that is an ELF binary', async () => {
    const planted = join(course, 'kernel/prebuilt.S');
    writeFileSync(planted, ELF);
    try {
      const out = join(work, 'strays-elf');
      await expect(writeRelease(course, 3, out, { toolRoot: tool })).rejects.toThrow(/prebuilt\.S: an ELF binary named like a source file/);
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(planted);
    }
  });
});

describe('a released repository under git', needs('gcc', 'bwrap', 'git'), () => {
  // What a student does first: npm ci, build and grade, then commit everything
  // with git add -A. The release's .gitignore must keep out whatever the tools
  // wrote meanwhile: kernels and programs, the compiled TypeScript, the report.
  it('stages no build output after lab build and lab grade --out report', () => {
    const out = join(work, 'student-git');
    expect(lab('release', '1', '--course', COURSE, '--out', out, '--no-check').status).toBe(0);
    // npm ci's node_modules/, a directory (as the .gitignore's node_modules/ needs), of this checkout's packages.
    mkdirSync(join(out, 'node_modules'));
    for (const name of readdirSync(join(REPO, 'node_modules'))) symlinkSync(join(REPO, 'node_modules', name), join(out, 'node_modules', name));
    const inRelease = (...args: string[]) =>
      runLab(args, { cli: join(out, 'grader/cli/lab.js'), cwd: out });
    expect(inRelease('build', '1').status).toBe(0);
    expect(inRelease('grade', '1', '--out', 'report').status).toBe(1); // the starter fails some tests
    const written = filesUnder(out);
    expect(written.filter((f) => f.endsWith('kernel.elf')).length, 'a kernel was built').toBeGreaterThan(0);
    expect(written.some((f) => f.startsWith('build/js/')), 'the grader compiled its TypeScript').toBe(true);
    expect(written, 'the report was written').toContain('report/report.html');

    // No user or system git configuration (a global excludes file) may hide what the release's .gitignore lets through.
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    const git = (...args: string[]) => spawnSync('git', args, { cwd: out, env, encoding: 'utf8' });
    expect(git('init', '-q').status).toBe(0);
    expect(git('add', '-A').status).toBe(0);
    const staged = git('ls-files', '-z').stdout.split('\0').filter((f) => f !== '');
    expect(staged).toEqual(expect.arrayContaining(['.gitignore', 'labs/kernel/kmain.c', 'grader/cli/lab.js', 'labs/01-serial/handout.html']));
    const built = staged.filter((f) =>
      /^(build|report|node_modules)\//.test(f) || /(^|\/)\.cache\//.test(f) || /\.(o|elf)$/.test(f) ||
      readFileSync(join(out, f)).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1')));
    expect(built, 'files git add -A staged that a tool wrote').toEqual([]);
  });
});

/** Every file under dir, relative, with / separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}

/**
 * The lines of the course's solution regions of lab n and later (without
 * their BEFORE parts, which the release shows), trimmed, that a student must
 * not see. Left out are lines that also appear where a
 * student may see them (outside those regions in any course file, or in the
 * tool's sources, `visible`; `return d;` is in both engine/ and a solution)
 * and lines with fewer than three letters or digits (a brace, a blank).
 */
function solutionLines(courseRoot: string, n: number, visible: string[]): Set<string> {
  const inside = new Set<string>();
  const outside = new Set<string>();
  const addLines = (set: Set<string>, text: string) => {
    for (const line of text.split('\n')) set.add(line.trim());
  };
  for (const rel of filesUnder(courseRoot)) {
    const bytes = readFileSync(join(courseRoot, rel));
    if (bytes.includes(0)) continue;
    const text = bytes.toString('utf8');
    // The part [from, to) holding `regions`: a region of lab n or later shows
    // its BEFORE part (the code before it, with its own regions) and hides its solution.
    const split = (from: number, to: number, regions: Region[]) => {
      let at = from;
      for (const r of regions.filter((r) => r.lab >= n)) {
        addLines(outside, text.slice(at, r.begin.start));
        addLines(inside, text.slice(...solutionSpan(r)));
        if (r.before) split(r.before.end, r.end.start, r.nested);
        at = r.end.end;
      }
      addLines(outside, text.slice(at, to));
    };
    split(0, text.length, /\.(c|h|S|s|ld|inc)$/.test(rel) ? parseRegions(text, rel) : []);
  }
  for (const dir of visible) for (const rel of filesUnder(dir)) addLines(outside, readFileSync(join(dir, rel), 'utf8'));
  return new Set([...inside].filter((line) => !outside.has(line) && (line.match(/[A-Za-z0-9]/g) ?? []).length >= 3));
}

describe("a released repository's GitHub workflow", needs('gcc', 'bwrap'), () => {
  // The grade step's script, run the way GitHub Actions runs a step (bash -e -o pipefail).
  it('puts the terminal summary on the run page between fences, keeps the report, and fails the step when a test fails', () => {
    const out = join(work, 'student-ci');
    expect(lab('release', '1', '--course', COURSE, '--out', out, '--no-check').status).toBe(0);
    symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'));
    const workflow = readFileSync(join(out, '.github', 'workflows', 'grade.yml'), 'utf8');
    expect(workflow).toMatch(/^on: \[push, workflow_dispatch\]$/m);
    const step = /- name: Grade lab 1 \(public tests\)\n {8}run: \|\n((?: {10}.*\n)+)/.exec(workflow);
    expect(step, 'the grade step').not.toBeNull();
    const script = step![1]!.split('\n').map((l) => l.slice(10)).join('\n');
    const summary = join(work, 'step-summary.md');
    const run = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', script], {
      cwd: out, timeout: 180_000, encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: summary, LAB_HIDDEN: '' },
    });
    expect(run.status).toBe(1); // the starter fails some tests, and so does the step
    const page = readFileSync(summary, 'utf8');
    expect(page).toMatch(/^```\nLab 1: [\s\S]*\nScore: 4\/10 .*\nreports: report\/report.html, .*\n```\n$/);
    expect(existsSync(join(out, 'report', 'report.html'))).toBe(true);
  });
});
