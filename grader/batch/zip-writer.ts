// Writes a ZIP archive (the APPNOTE's local headers, central directory and
// end record; entries deflated) from a folder, with Unix modes so that
// scripts stay executable where it is unpacked. Entries are in byte order of
// their paths with a fixed timestamp: the same folder gives the same bytes.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

/** 1980-01-01 00:00, the earliest time a ZIP entry can carry: nothing of the host's clock. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MADE_BY_UNIX = (3 << 8) | 20;
const NEEDED = 20;
const UTF8_NAMES = 1 << 11;

interface ZipFile {
  name: string;
  data: Buffer;
  mode: number;
}

/** Every regular file under `dir`, as a ZIP archive with paths relative to it. */
export function zipFolder(dir: string): Buffer {
  const files: ZipFile[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const child = rel === '' ? name : `${rel}/${name}`;
      const st = statSync(path.join(dir, child));
      if (st.isDirectory()) walk(child);
      else if (st.isFile()) files.push({ name: child, data: readFileSync(path.join(dir, child)), mode: st.mode & 0o777 });
    }
  };
  walk('');
  return zip(files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

interface EntryFields {
  crc: number;
  packedSize: number;
  size: number;
  nameLength: number;
}

/**
 * The run of fields a local header and its central directory entry both
 * hold, in the same order (APPNOTE 4.3.7 and 4.3.12): version needed, flags,
 * method, time, date, CRC-32, sizes and the name's length.
 */
function writeEntryFields(header: Buffer, at: number, entry: EntryFields): void {
  header.writeUInt16LE(NEEDED, at);
  header.writeUInt16LE(UTF8_NAMES, at + 2);
  header.writeUInt16LE(8, at + 4); // deflated
  header.writeUInt16LE(DOS_TIME, at + 6);
  header.writeUInt16LE(DOS_DATE, at + 8);
  header.writeUInt32LE(entry.crc, at + 10);
  header.writeUInt32LE(entry.packedSize, at + 14);
  header.writeUInt32LE(entry.size, at + 18);
  header.writeUInt16LE(entry.nameLength, at + 22);
}

function zip(files: readonly ZipFile[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const packed = deflateRawSync(f.data);
    const crc = crc32(f.data);
    const entry: EntryFields = { crc, packedSize: packed.length, size: f.data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, entry);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, packed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    writeEntryFields(central, 6, entry);
    // extra, comment, disk, internal attributes: 0
    central.writeUInt32LE(((0o100000 | f.mode) << 16) >>> 0, 38); // a regular file and its permissions
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
