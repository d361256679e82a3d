// A submission that is a git repository: cloned into a temporary folder and
// checked out at the revision the list file names, so the batch grades it
// like any folder. The repository is the student's, so nothing in it may run
// or reach out: its hooks never run (the clone's hooks path is empty),
// symbolic links are checked out as plain files, and git never prompts (a
// repository that needs credentials the grader's user lacks fails at once).
// The commit graded is recorded with the grade.

import { spawn } from 'node:child_process';

/** How long a clone may take: a student repository is small; a stuck server must not stop the batch. */
const CLONE_SECONDS = 120;
/** The most of git's messages kept for the gradebook's detail. */
const MESSAGE_BYTES = 4096;

/** Why a repository could not be had: one line for the gradebook. */
export class CloneError extends Error {}

const SAFE_CONFIG = [
  '-c', 'core.hooksPath=/dev/null',
  '-c', 'core.symlinks=false',
  '-c', 'protocol.ext.allow=never',
  '-c', 'protocol.fd.allow=never',
  '-c', 'advice.detachedHead=false',
];

/** Clones `url` into `into` (which must not exist) at `revision`; the commit checked out. */
export async function cloneSubmission(url: string, revision: string, into: string): Promise<string> {
  await git(['clone', '--quiet', '--no-checkout', '--', url, into], `git clone ${url}`);
  await git(['-C', into, 'checkout', '--quiet', '--detach', `${revision}^{commit}`, '--'], `${url}: revision ${revision}`);
  return (await git(['-C', into, 'rev-parse', 'HEAD'], `${url}: rev-parse`)).trim();
}

function git(args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [...SAFE_CONFIG, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes', LC_ALL: 'C' },
      timeout: CLONE_SECONDS * 1000,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { if (out.length < MESSAGE_BYTES) out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { if (err.length < MESSAGE_BYTES) err += d.toString(); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new CloneError(e.code === 'ENOENT' ? 'git is not installed; install the Debian package git to grade repositories' : `${what}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(out);
      const said = err.split('\n').map((l) => l.replace(/^(fatal|error): /, '').trim()).find((l) => l !== '');
      reject(new CloneError(signal !== null ? `${what}: gave up after ${CLONE_SECONDS} s` : `${what}: ${said ?? `git exited with status ${code}`}`));
    });
  });
}
