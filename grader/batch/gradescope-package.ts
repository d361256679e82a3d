// `lab package N --gradescope`: the autograder.zip a course uploads to
// Gradescope. Gradescope unpacks it to /autograder/source, runs setup.sh once
// to build its image (Ubuntu, as root), then run_autograder once per
// submission with the student's files in /autograder/submission, and reads
// /autograder/results/results.json.
//
// What goes in: the student's release of lab N (the grader, the engine and
// the course with the solutions of lab N and later cut out: the autograder
// never needs the reference, so a leak through it cannot show one) and the
// hidden tests. It is the instructor's copy, not a student's, so it may hold
// hidden tests; a student's code never runs in it, and each compile runs as
// the user nobody, for whom /autograder/source is made private (Docker's
// default seccomp profile, which Gradescope's containers have, rules out the
// bubblewrap sandbox).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { copyHiddenTests, writeRelease } from '../authoring/release.ts';
import { RELEASE_FIELD } from '../course/submission.ts';
import { zipFolder } from './zip-writer.ts';

/** The package.json field that marks an autograder's copy (informational; it carries no trust). */
export const AUTOGRADER_FIELD = 'ringlabAutograder';

/** The folder under the package's root holding ringlab. */
const TOOL = 'ringlab';

export interface PackageOptions {
  hiddenDir?: string;
}

export interface WrittenPackage {
  bytes: number;
  hidden?: string;
}

export async function writeGradescopePackage(courseRoot: string, n: number, outFile: string, opts: PackageOptions = {}): Promise<WrittenPackage> {
  const stage = await mkdtemp(path.join(os.tmpdir(), 'ringlab-package-'));
  try {
    const tool = path.join(stage, TOOL);
    await writeRelease(courseRoot, n, tool);
    // Not a student's repository: a grader refuses hidden tests only in those.
    const pkgFile = path.join(tool, 'package.json');
    const pkg = JSON.parse(await readFile(pkgFile, 'utf8')) as Record<string, unknown>;
    delete pkg[RELEASE_FIELD];
    pkg[AUTOGRADER_FIELD] = { lab: n, platform: 'gradescope' };
    await writeFile(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
    await writeFile(path.join(tool, 'README.md'), autograderReadme(n));

    let hidden: string | undefined;
    if (opts.hiddenDir !== undefined) hidden = path.relative(tool, await copyHiddenTests(courseRoot, n, opts.hiddenDir, tool));
    await writeFile(path.join(stage, 'setup.sh'), SETUP_SH, { mode: 0o755 });
    await writeFile(path.join(stage, 'run_autograder'), runAutograder(n, hidden), { mode: 0o755 });
    const zip = zipFolder(stage);
    await writeFile(outFile, zip);
    return { bytes: zip.length, ...(hidden !== undefined ? { hidden } : {}) };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function autograderReadme(n: number): string {
  return `# ringlab autograder for lab ${n}

Made by \`lab package ${n} --gradescope\`. Gradescope runs \`setup.sh\` once and
\`run_autograder\` for every submission. This copy holds the hidden tests: it is
the course staff's, never a student's.
`;
}

// Ubuntu's own Node.js is older than ringlab needs (20); n, from the npm
// registry, installs a current release. gcc-multilib builds the 32-bit
// kernels; util-linux brings setpriv, which runs each compile as nobody.
const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends gcc-multilib util-linux npm ca-certificates
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  npm install -g n
  n 20
  hash -r
fi
cd "\${AUTOGRADER_ROOT:-/autograder}/source/${TOOL}"
npm ci --omit=dev --no-audit --no-fund
# The first command compiles the grader's TypeScript: now, not in a student's time.
node grader/cli/lab.js list >/dev/null
`;

function runAutograder(n: number, hidden: string | undefined): string {
  const hiddenArgs = hidden === undefined ? '' : ` --hidden "${hidden}"`;
  return `#!/usr/bin/env bash
# Gradescope runs this once per submission, as root: the student's files are
# in submission/, the results go to results/results.json.
set -u
root="\${AUTOGRADER_ROOT:-/autograder}"
results="$root/results"
mkdir -p "$results"
cd "$root/source/${TOOL}" || exit 1
# The course, the hidden tests and every build stay root's; each compile runs as nobody.
chmod 700 "$root/source"
export LAB_SANDBOX=user LAB_HIDDEN= LAB_COURSE=
has_kernel() { [ -d "$1/labs/kernel" ] || [ -d "$1/kernel" ]; }
submission="$root/submission"
# A zip of the repository's folder, not of what is in it, arrives wrapped in that folder.
entries=("$submission"/*)
if ! has_kernel "$submission" && [ \${#entries[@]} -eq 1 ] && [ -d "\${entries[0]}" ] && [ ! -L "\${entries[0]}" ] && has_kernel "\${entries[0]}"; then
  submission="\${entries[0]}"
fi
# Gradescope stops an autograder after its time-out (10 minutes unless the course sets
# another): start no test after most of it, so that what ran is graded rather than lost.
node grader/cli/lab.js grade ${n} --submission "$submission"${hiddenArgs} --out "$results" --time-limit "\${RINGLAB_TIME_LIMIT:-480}" >"$results/grade.log" 2>&1
cat "$results/grade.log"
# Grading that could not start writes no results.json. A submission with no kernel
# tree is the student's to fix: 0 points and why (Gradescope's format wants a score
# when there are no tests). Anything else is the grader's or the course's: why, with
# no score, so that no grade is recorded from a broken run.
if [ ! -s "$results/results.json" ]; then
  has_kernel "$submission" && score=none || score=0
  node -e '
    const fs = require("fs");
    const [logFile, out, score] = process.argv.slice(1);
    const log = fs.readFileSync(logFile, "utf8").trim().split("\\n").slice(-20).join("\\n");
    const head = score === "none" ? "Grading could not run:\\n" : "No kernel tree in this submission: upload your repository (with labs/kernel/), or its labs/ folder.\\n";
    fs.writeFileSync(out, JSON.stringify({ ...(score === "none" ? {} : { score: 0 }), output: head + log, output_format: "text", visibility: "visible", stdout_visibility: "hidden", tests: [] }));
  ' "$results/grade.log" "$results/results.json" "$score"
fi
exit 0
`;
}
