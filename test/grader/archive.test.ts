// The submission-archive reader against archives that GNU tar and Info-ZIP
// write (the formats' own tools as the oracle), and against damaged ones.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArchiveError, unpackArchive } from '../../grader/batch/archive.ts';
import { needs } from '../host-tools.ts';

const scratch = mkdtempSync(join(tmpdir(), 'ringlab-archive-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Deeper than ustar's 100-byte name field: long names need the pax or GNU extension.
const LONG = `kernel/${'deep/'.repeat(30)}trap.c`;
const FILES: Record<string, string> = { 'kernel/main.c': 'int main;\n', [LONG]: 'void trap(void) {}\n', 'kernel/empty.h': '' };

let n = 0;
function packed(tool: string, args: (out: string) => string[], name: string): Buffer {
  const src = join(scratch, `src-${n++}`);
  for (const [file, text] of Object.entries(FILES)) {
    mkdirSync(join(src, file, '..'), { recursive: true });
    writeFileSync(join(src, file), text);
  }
  const out = join(scratch, `${n}-${name}`);
  const r = spawnSync(tool, args(out), { cwd: src });
  expect(r.status, r.stderr.toString()).toBe(0);
  return readFileSync(out);
}

function unpacked(name: string, bytes: Buffer): Record<string, string> {
  const into = join(scratch, `out-${n++}`);
  mkdirSync(into);
  unpackArchive(name, bytes, into);
  return Object.fromEntries(Object.keys(FILES).map((f) => [f, readFileSync(join(into, f), 'utf8')]));
}

describe('submission archives', needs('zip'), () => {
  it.each([
    ['GNU tar, GNU long names', 'x.tar', 'tar', (o: string) => ['--format=gnu', '-cf', o, 'kernel']],
    ['GNU tar, pax long names', 'x.tar', 'tar', (o: string) => ['--format=pax', '-cf', o, 'kernel']],
    ['gzip-compressed tar', 'x.tar.gz', 'tar', (o: string) => ['-czf', o, 'kernel']],
    ['zip, deflated', 'x.zip', 'zip', (o: string) => ['-qr', o, 'kernel']],
    ['zip, stored', 'x.zip', 'zip', (o: string) => ['-qr0', o, 'kernel']],
  ])('unpacks %s file for file', (_what, name, tool, args) => {
    expect(unpacked(name, packed(tool, args, name))).toEqual(FILES);
  });

  it('refuses damaged archives with the reason, never a host exception', () => {
    const tar = packed('tar', (o) => ['-cf', o, 'kernel'], 'x.tar');
    const zip = packed('zip', (o) => ['-qr', o, 'kernel'], 'x.zip');
    const stored = packed('zip', (o) => ['-qr0', o, 'kernel'], 'x.zip');
    const flipped = Buffer.from(stored);
    const at = stored.indexOf('int main');
    flipped.writeUInt8(stored.readUInt8(at) ^ 1, at);
    const cases: [string, Buffer, RegExp][] = [
      ['x.tar', tar.subarray(0, 1000), /cut short/],
      ['x.tar', Buffer.from('just some text, not an archive at all'.padEnd(1024, '.')), /not a tar archive/],
      ['x.tar.gz', tar, /not a readable gzip file/],
      ['x.zip', zip.subarray(0, zip.length - 30), /not a zip archive|damaged/],
      ['x.zip', flipped, /do not match their checksum/],
    ];
    for (const [name, bytes, why] of cases) {
      const into = join(scratch, `bad-${n++}`);
      mkdirSync(into);
      let thrown: unknown;
      try {
        unpackArchive(name, bytes, into);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, name).toBeInstanceOf(ArchiveError);
      expect((thrown as Error).message).toMatch(why);
    }
  });
});
