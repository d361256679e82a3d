// Tiny ELF32 images written byte by byte, so loader tests can make exactly the
// file they need, broken in exactly one way, without a toolchain.

export interface SegmentSpec {
  paddr: number;
  vaddr?: number;
  data?: Uint8Array;
  /** Defaults to data.length. */
  memSize?: number;
  /** Defaults to R+X. */
  flags?: number;
  /** Defaults to PT_LOAD (1). */
  type?: number;
}

export interface ElfSpec {
  entry?: number;
  segments: SegmentSpec[];
  /** Multiboot header to place in the file (not inside any segment); null for none. */
  multiboot?: MultibootSpec | null;
  elfClass?: number;
  dataEncoding?: number;
  type?: number;
  machine?: number;
}

export interface MultibootSpec {
  flags?: number;
  /** Defaults to the correct checksum. */
  checksum?: number;
  /** File offset; defaults to 0x400. */
  offset?: number;
  /** Words after the checksum (a.out kludge addresses). */
  extra?: number[];
}

export const MULTIBOOT_MAGIC = 0x1badb002;
/** Where buildElf puts segment data: after the headers and the default Multiboot header. */
export const DATA_OFFSET = 0x1000;

export function multibootChecksum(flags: number): number {
  return (-(MULTIBOOT_MAGIC + flags)) >>> 0;
}

export function buildElf(spec: ElfSpec): Uint8Array {
  const segments = spec.segments;
  let dataEnd = DATA_OFFSET;
  const offsets = segments.map((s) => {
    const at = dataEnd;
    dataEnd += Math.ceil((s.data?.length ?? 0) / 16) * 16;
    return at;
  });
  const mb = spec.multiboot === undefined ? {} : spec.multiboot;
  const mbEnd = mb === null ? 0 : (mb.offset ?? 0x400) + 12 + 4 * (mb.extra?.length ?? 0);
  const file = new Uint8Array(Math.max(dataEnd, mbEnd));
  const d = new DataView(file.buffer);

  file.set([0x7f, 0x45, 0x4c, 0x46, spec.elfClass ?? 1, spec.dataEncoding ?? 1, 1]);
  d.setUint16(16, spec.type ?? 2, true); // ET_EXEC
  d.setUint16(18, spec.machine ?? 3, true); // EM_386
  d.setUint32(20, 1, true);
  d.setUint32(24, spec.entry ?? segments[0]?.paddr ?? 0, true);
  d.setUint32(28, 52, true); // e_phoff
  d.setUint16(40, 52, true); // e_ehsize
  d.setUint16(42, 32, true); // e_phentsize
  d.setUint16(44, segments.length, true);
  d.setUint16(46, 40, true); // e_shentsize; no section table (e_shoff 0)

  segments.forEach((s, i) => {
    const at = 52 + 32 * i;
    const size = s.data?.length ?? 0;
    d.setUint32(at, s.type ?? 1, true);
    d.setUint32(at + 4, size === 0 ? 0 : offsets[i]!, true);
    d.setUint32(at + 8, s.vaddr ?? s.paddr, true);
    d.setUint32(at + 12, s.paddr, true);
    d.setUint32(at + 16, size, true);
    d.setUint32(at + 20, s.memSize ?? size, true);
    d.setUint32(at + 24, s.flags ?? 5, true);
    d.setUint32(at + 28, 0x1000, true);
    if (s.data) file.set(s.data, offsets[i]);
  });

  if (mb !== null) {
    const at = mb.offset ?? 0x400;
    const flags = mb.flags ?? 0;
    d.setUint32(at, MULTIBOOT_MAGIC, true);
    d.setUint32(at + 4, flags, true);
    d.setUint32(at + 8, mb.checksum ?? multibootChecksum(flags), true);
    (mb.extra ?? []).forEach((word, i) => d.setUint32(at + 12 + 4 * i, word, true));
  }
  return file;
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function u32(ram: Uint8Array, addr: number): number {
  return new DataView(ram.buffer, ram.byteOffset, ram.byteLength).getUint32(addr, true);
}

export function cstring(ram: Uint8Array, addr: number): string {
  let end = addr;
  while (ram[end] !== 0) end++;
  return new TextDecoder().decode(ram.subarray(addr, end));
}
