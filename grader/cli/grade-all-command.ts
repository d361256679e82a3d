// `lab grade-all N SUBMISSIONS --out DIR`: a whole course's submissions
// graded with the instructor's course and hidden tests, into a gradebook and
// each student's reports; `--shard I/N` grades one slice for a CI matrix, and
// `lab merge-grades` joins the slices into the gradebook one run would write.
// Exit status: 0 every submission graded (whatever its score), 1 some
// submission hit a grader error (its row says which), 2 bad input.

import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { addLabOptions, asInput, labSetup, wholeNumber, type LabOptions } from './lab-options.ts';
import { JOBS_HELP } from './grade-command.ts';
import { InputError } from './run-command.ts';
import type { GradesRecord, StudentGrade } from '../batch/gradebook.ts';
import type { SummaryView } from '../batch/summary.ts';

interface GradeAllOptions extends LabOptions {
  out: string;
  jobs?: string;
  shard?: string;
  regrade: boolean;
}

export function registerGradeAllCommands(program: Command, done: (status: number) => void): void {
  const command = program
    .command('grade-all')
    .description("grade every student's submission in SUBMISSIONS (one folder or archive per student, named by their id, or a list file of repositories) into a gradebook")
    .argument('<lab>', 'the lab number, e.g. 3')
    .argument('<submissions>', "a folder holding one folder or .zip/.tar.gz per student (their repository, or its labs/ folder), or a text file listing one '[ID] SOURCE [REVISION]' a line, SOURCE a git URL or a path")
    .requiredOption('--out <dir>', 'write gradebook.csv and students/ID/ (report.html, results.json, junit.xml) to DIR');
  addLabOptions(command, false)
    .option('--jobs <n>', JOBS_HELP)
    .option('--shard <i/n>', 'grade only slice I of N (1-based) of the submissions, for N parallel CI jobs; join them with lab merge-grades')
    .option('--regrade', "grade again only the submissions whose grade can have changed since the last run into DIR (a new submission, changed tests, another ringlab), and list whose score changed", false)
    .addHelpText(
      'after',
      `
Each submission supplies only the files the lab lets students change; everything
else (tests, manifests, linker scripts, budgets) comes from the course.

Exit status:
  0   every submission was graded (whatever its score)
  1   some submission could not be graded because of a grader error (see its row)
  2   bad input: unknown lab, no such folder, a test spec that cannot be loaded`,
    )
    .action(async (lab: string, submissions: string, options: GradeAllOptions) => {
      done(await gradeAllCommand(lab, submissions, options));
    });

  program
    .command('merge-grades')
    .description('join the gradebooks and reports of grade-all --shard runs into one output folder')
    .argument('<out>', 'the folder to write the joined gradebook.csv and students/ to')
    .argument('<shards...>', 'the --out folders of the shards')
    .action(async (out: string, shards: string[]) => {
      done(await mergeCommand(out, shards));
    });
}

async function gradeAllCommand(labArg: string, submissionsDir: string, options: GradeAllOptions): Promise<number> {
  const jobs = options.jobs === undefined ? undefined : wholeNumber(options.jobs, '--jobs', 1, 256);
  const [{ gradeAll }, { parseShard }] = await Promise.all([import('../batch/grade-all.ts'), import('../batch/submissions.ts')]);
  const shard = options.shard === undefined ? undefined : await asInput(() => parseShard(options.shard!));
  const setup = await labSetup(labArg, options);
  const previous = options.regrade ? await previousGrades(options.out) : undefined;
  const started = Date.now(); // the progress line only; nothing written depends on it
  const outcome = await asInput(() => gradeAll({
    courseRoot: setup.courseRoot, lab: setup.lab, specFiles: setup.specFiles,
    submissionsDir: path.resolve(submissionsDir), outDir: path.resolve(options.out),
    ...(setup.cc ? { cc: setup.cc } : {}), ...(jobs ? { jobs } : {}), ...(shard ? { shard } : {}),
    ...(setup.hidden !== undefined ? { hiddenDir: setup.hidden } : {}), ...(previous ? { previous } : {}),
    progress: (n, total, row) => process.stderr.write(progressLine(n, total, row, Date.now() - started)),
  }));
  for (const s of outcome.skipped) process.stderr.write(`grade-all: skipped ${s.name}: ${s.why}\n`);
  const { summaryView } = await import('../batch/summary.ts');
  process.stdout.write(summaryLine(summaryView(outcome.record), options.out));
  if (previous) {
    const { scoreChanges } = await import('../batch/gradebook.ts');
    const changes = scoreChanges(previous, outcome.record);
    const regraded = outcome.record.rows.filter((r) => !previous.rows.includes(r)).length;
    process.stdout.write(`regrade: ${regraded} of ${outcome.record.rows.length} submissions graded again; ${changes.length} results changed\n`);
    for (const c of changes) process.stdout.write(`  ${c.student}: ${c.before} -> ${c.after}\n`);
  }
  return outcome.record.rows.some((r) => r.status === 'grader-error') ? 1 : 0;
}

/** The record a previous run left in `out`, for --regrade. */
async function previousGrades(out: string): Promise<GradesRecord> {
  const { GRADES_FILE, readGrades } = await import('../batch/gradebook.ts');
  const file = path.join(out, GRADES_FILE);
  if (!existsSync(file)) throw new InputError(`--regrade: ${file} is not there; grade into ${out} once without --regrade first`);
  return asInput(() => readGrades(file, readFileSync(file, 'utf8')));
}

/** The batch in one line: what happened to the submissions, the scores, and where to look. */
function summaryLine(view: SummaryView, out: string): string {
  const count = (status: StudentGrade['status']) => view.statuses.find((s) => s.status === status)?.count ?? 0;
  return `${view.submissions} submissions: ${count('graded')} graded, ${count('build-error')} did not build, ` +
    `${count('no-submission')} with nothing to grade (no kernel tree, a bad archive, a failed clone), ${count('grader-error')} grader errors; ` +
    `mean ${view.mean}/${view.maxScore}, median ${view.median}; ${path.join(out, 'gradebook.csv')}, ${path.join(out, 'summary.html')}\n`;
}

function progressLine(done: number, total: number, row: StudentGrade, elapsedMs: number): string {
  const each = elapsedMs / done;
  const left = Math.round(((total - done) * each) / 1000);
  const score = row.score === null ? 'no score' : `${row.score}/${row.maxScore}`;
  return `[${done}/${total}] ${row.student}: ${row.status === 'graded' ? score : `${row.status}, ${score}`}` +
    ` (${(each / 1000).toFixed(1)} s each, about ${left} s left)\n`;
}

async function mergeCommand(out: string, shards: string[]): Promise<number> {
  const [{ mergeGrades, GRADES_FILE }, { STUDENTS_DIR, writeBatchOutputs }, { summaryView }] =
    await Promise.all([import('../batch/gradebook.ts'), import('../batch/outputs.ts'), import('../batch/summary.ts')]);
  const records = shards.map((dir) => {
    const file = path.join(dir, GRADES_FILE);
    if (!existsSync(file)) throw new InputError(`${file}: no grades here; give the --out folders of lab grade-all --shard runs`);
    return { name: file, text: readFileSync(file, 'utf8') };
  });
  const merged = await asInput(() => mergeGrades(records));
  await writeBatchOutputs(out, merged);
  for (const dir of shards) {
    const students = path.join(dir, STUDENTS_DIR);
    if (existsSync(students)) cpSync(students, path.join(out, STUDENTS_DIR), { recursive: true });
  }
  process.stdout.write(`merged ${shards.length} shards: ${summaryLine(summaryView(merged), out)}`);
  return 0;
}
