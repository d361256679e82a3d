// Submissions as LMS and Gradescope exports hand them over: a .zip, .tar,
// .tar.gz or .tgz per student. An archive is hostile input like any
// submission, so it is read here, entry by entry, rather than handed to an
// unpacker: only regular files and folders come out, every path stays inside
// the folder it is unpacked to, and the sizes are bounded before anything is
// inflated (a few kilobytes must not become gigabytes). Formats: ZIP (the
// APPNOTE's local headers and central directory; stored and deflated entries)
// and POSIX ustar with its pax and GNU long-name extensions.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';

/** A submission archive that cannot be unpacked safely: the message names the archive's problem. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

/** What one archive may hold: more is not a kernel tree, whatever it is. */
export const ARCHIVE_LIMITS = { totalBytes: 64 * 1024 * 1024, entries: 20_000 };

interface Entry {
  name: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  data?: () => Buffer;
}

const ARCHIVE_NAME = /\.(zip|tar|tar\.gz|tgz)$/i;

/** Whether `name` is an archive `unpackArchive` reads. */
export function isArchiveName(name: string): boolean {
  return ARCHIVE_NAME.test(name);
}

/** The student's id an archive's name gives: the name without its extension. */
export function archiveId(name: string): string {
  return name.replace(ARCHIVE_NAME, '');
}

/** Unpacks `bytes` (an archive called `name`) into the empty folder `into`. */
export function unpackArchive(name: string, bytes: Buffer, into: string): void {
  const entries = /\.zip$/i.test(name) ? zipEntries(bytes) : tarEntries(/\.(tar\.gz|tgz)$/i.test(name) ? gunzip(bytes) : bytes);
  let total = 0;
  let count = 0;
  for (const entry of entries) {
    if (++count > ARCHIVE_LIMITS.entries) throw new ArchiveError(`more than ${ARCHIVE_LIMITS.entries} entries`);
    const rel = safePath(entry.name);
    if (rel === '') continue;
    if (entry.kind === 'link') throw new ArchiveError(`${rel} is a link; a submission holds regular files only`);
    if (entry.kind === 'other') throw new ArchiveError(`${rel} is a device, pipe or other special file; a submission holds regular files only`);
    const target = path.join(into, rel);
    if (entry.kind === 'dir') {
      mkdirSync(target, { recursive: true });
      continue;
    }
    const data = entry.data!();
    total += data.length;
    if (total > ARCHIVE_LIMITS.totalBytes) throw new ArchiveError(`unpacks to more than ${ARCHIVE_LIMITS.totalBytes >> 20} MiB`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, data, { flag: 'wx' });
  }
}

/** An entry's path, relative and inside the archive's root, or an ArchiveError. */
function safePath(name: string): string {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) throw new ArchiveError(`${name}: an absolute path`);
  if (parts.includes('..')) throw new ArchiveError(`${name}: a path that leaves the archive's folder`);
  if (/[\u0000]/.test(name)) throw new ArchiveError(`${JSON.stringify(name)}: a name with a NUL byte`);
  return parts.join('/');
}

function gunzip(bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: ARCHIVE_LIMITS.totalBytes + 1024 * 1024 });
  } catch (e) {
    throw new ArchiveError(`not a readable gzip file (${(e as Error).message})`);
  }
}

// ZIP: the central directory at the end says where each entry is and what it
// is; the local header before each entry's data repeats its name and sizes.
const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function zipEntries(buf: Buffer): Entry[] {
  const end = findEndOfCentralDirectory(buf);
  const count = buf.readUInt16LE(end + 10);
  const dirSize = buf.readUInt32LE(end + 12);
  let at = buf.readUInt32LE(end + 16);
  if (at === 0xffffffff || count === 0xffff || at + dirSize > buf.length) throw new ArchiveError('a ZIP64 or damaged zip archive; pack it again as a plain zip');
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw new ArchiveError('a damaged zip archive (central directory)');
    const madeBy = buf.readUInt16LE(at + 4) >> 8;
    const flags = buf.readUInt16LE(at + 8);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const external = buf.readUInt32LE(at + 38);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;

    const mode = madeBy === 3 ? external >>> 16 : 0; // 3: made on Unix, the high half is st_mode
    const type = mode & S_IFMT;
    if (type === S_IFLNK) { entries.push({ name, kind: 'link' }); continue; }
    if (type !== 0 && type !== S_IFDIR && type !== S_IFREG) { entries.push({ name, kind: 'other' }); continue; }
    if (name.endsWith('/') || type === S_IFDIR) { entries.push({ name, kind: 'dir' }); continue; }
    if (flags & 1) throw new ArchiveError(`${name} is encrypted`);
    if (method !== 0 && method !== 8) throw new ArchiveError(`${name} is compressed with method ${method}; only stored and deflated entries are read`);
    if (size > ARCHIVE_LIMITS.totalBytes) throw new ArchiveError(`unpacks to more than ${ARCHIVE_LIMITS.totalBytes >> 20} MiB`);
    entries.push({ name, kind: 'file', data: () => zipData(buf, local, { method, compressed, size, crc }, name) });
  }
  return entries;
}

function findEndOfCentralDirectory(buf: Buffer): number {
  // The record is 22 bytes and may be followed by a comment of up to 65535.
  for (let at = buf.length - 22; at >= 0 && at >= buf.length - 22 - 0xffff; at--) {
    if (buf.readUInt32LE(at) === EOCD) return at;
  }
  throw new ArchiveError('not a zip archive (no end of central directory)');
}

interface ZipSizes {
  method: number;
  compressed: number;
  size: number;
  crc: number;
}

function zipData(buf: Buffer, local: number, { method, compressed, size, crc }: ZipSizes, name: string): Buffer {
  const data = inflated(buf, local, method, compressed, size, name);
  if (crc32(data) !== crc) throw new ArchiveError(`${name}: its contents do not match their checksum; the archive is damaged`);
  return data;
}

function inflated(buf: Buffer, local: number, method: number, compressed: number, size: number, name: string): Buffer {
  if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw new ArchiveError(`${name}: a damaged zip archive (local header)`);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  if (start + compressed > buf.length) throw new ArchiveError(`${name}: the archive is cut short`);
  const raw = buf.subarray(start, start + compressed);
  if (method === 0) return Buffer.from(raw);
  try {
    // The declared size bounds the inflation: a bomb stops at it, whatever it claims.
    const out = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    if (out.length !== size) throw new Error(`${out.length} bytes where the directory says ${size}`);
    return out;
  } catch (e) {
    throw new ArchiveError(`${name}: cannot be inflated (${(e as Error).message})`);
  }
}

// ustar: 512-byte headers, each followed by the entry's data padded to 512.
function tarEntries(buf: Buffer): Entry[] {
  const entries: Entry[] = [];
  let at = 0;
  let longName: string | undefined;
  let ended = false;
  while (at + 512 <= buf.length) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) {
      ended = true;
      break;
    }
    if (!checksumOk(header)) throw new ArchiveError('not a tar archive, or a damaged one (header checksum)');
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataAt = at + 512;
    if (dataAt + size > buf.length) throw new ArchiveError('the tar archive is cut short');
    const data = buf.subarray(dataAt, dataAt + size);
    at = dataAt + Math.ceil(size / 512) * 512;

    if (type === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (type === 'L') { longName = cString(data, 0, data.length); continue; }
    if (type === 'g') continue;
    const prefix = cString(header, 345, 155);
    const short = cString(header, 0, 100);
    const name = longName ?? (prefix ? `${prefix}/${short}` : short);
    longName = undefined;
    if (type === '0' || type === '\0' || type === '7') entries.push({ name, kind: 'file', data: () => Buffer.from(data) });
    else if (type === '5') entries.push({ name, kind: 'dir' });
    else if (type === '1' || type === '2') entries.push({ name, kind: 'link' });
    else entries.push({ name, kind: 'other' });
  }
  // Every tar writer ends with zero blocks; without them, entries may be missing.
  if (!ended) throw new ArchiveError('the tar archive is cut short');
  return entries;
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return octal(header, 148, 8) === sum;
}

function octal(buf: Buffer, at: number, len: number): number {
  const text = cString(buf, at, len).trim();
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError('not a tar archive, or a damaged one (a size that is not octal)');
  return parseInt(text, 8);
}

function cString(buf: Buffer, at: number, len: number): string {
  const end = buf.indexOf(0, at);
  return buf.toString('utf8', at, end < 0 || end > at + len ? at + len : end);
}

/** A pax extended header's path record ("LEN path=VALUE\n"), if it has one. */
function paxPath(data: Buffer): string | undefined {
  let found: string | undefined;
  for (const record of data.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(record);
    if (m) found = m[1];
  }
  return found;
}
