// ELF32 executables as a Multiboot loader sees them: the program headers say which
// file bytes go to which physical addresses, and e_entry says where to start.
// Section headers are read only to name a segment in an error message.
//
// Field offsets are those of the System V ABI, "Object Files" chapter (Elf32_Ehdr,
// Elf32_Phdr, Elf32_Shdr); every multi-byte field is little-endian because we only
// accept ELFDATA2LSB files.

import { ConfigError } from '../config.ts';
import { hex32, hexDigits } from '../hex.ts';
import { ONE_MIB, RAM_MIB } from '../ram-limits.ts';

/** One PT_LOAD program header: copy fileSize bytes, zero up to memSize. */
export interface LoadSegment {
  /** Program header number, as `readelf -l` counts them. */
  index: number;
  fileOffset: number;
  fileSize: number;
  vaddr: number;
  paddr: number;
  memSize: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  flags: number;
}

export interface Elf32Executable {
  /** e_entry exactly as linked (a virtual address). */
  entry: number;
  /** The PT_LOAD segments, in program-header order. */
  segments: LoadSegment[];
}

const ELF_HEADER_SIZE = 52;
const PROGRAM_HEADER_SIZE = 32;
const SECTION_HEADER_SIZE = 40;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const ET_REL = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
const ET_CORE = 4;
const EM_386 = 3;
const PT_LOAD = 1;
const PF_X = 1;
const SHF_ALLOC = 2;

// Machines a student is likely to have built for by accident, for the error message.
const MACHINE_NAMES: Record<number, string> = {
  2: 'SPARC',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  40: 'ARM',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
};

function view(file: Uint8Array): DataView {
  return new DataView(file.buffer, file.byteOffset, file.byteLength);
}

/**
 * Check that `file` is an i386 ELF executable a Multiboot loader can load, and
 * read its entry point and PT_LOAD segments. Throws ConfigError naming the
 * first problem.
 */
export function parseElf32Executable(file: Uint8Array, name: string): Elf32Executable {
  checkIdentity(file, name);
  const d = view(file);
  const type = d.getUint16(16, true);
  const machine = d.getUint16(18, true);
  checkMachine(machine, name);
  checkType(type, name);
  if (file.length < ELF_HEADER_SIZE) {
    throw new ConfigError(
      `${name}: truncated: the ELF header needs ${ELF_HEADER_SIZE} bytes but the file has ${file.length}; rebuild the kernel`,
    );
  }

  const entry = d.getUint32(24, true);
  const phoff = d.getUint32(28, true);
  const phentsize = d.getUint16(42, true);
  const phnum = d.getUint16(44, true);
  if (phnum === 0) {
    throw new ConfigError(`${name}: has no program headers, so there is nothing to load; link it as an executable`);
  }
  if (phentsize < PROGRAM_HEADER_SIZE) {
    throw new ConfigError(
      `${name}: program headers are ${phentsize} bytes each, an ELF32 one is ${PROGRAM_HEADER_SIZE}; the file is damaged, rebuild it`,
    );
  }
  const tableEnd = phoff + phnum * phentsize;
  if (tableEnd > file.length) {
    throw new ConfigError(
      `${name}: truncated: the program headers end at byte ${tableEnd} but the file has ${file.length} bytes; rebuild the kernel`,
    );
  }

  const segments: LoadSegment[] = [];
  for (let index = 0; index < phnum; index++) {
    const at = phoff + index * phentsize;
    if (d.getUint32(at, true) !== PT_LOAD) continue;
    const segment: LoadSegment = {
      index,
      fileOffset: d.getUint32(at + 4, true),
      vaddr: d.getUint32(at + 8, true),
      paddr: d.getUint32(at + 12, true),
      fileSize: d.getUint32(at + 16, true),
      memSize: d.getUint32(at + 20, true),
      flags: d.getUint32(at + 24, true),
    };
    if (segment.fileSize > segment.memSize) {
      throw new ConfigError(
        `${name}: segment ${index} has more file bytes (${segment.fileSize}) than memory bytes (${segment.memSize}); the file is damaged, rebuild it`,
      );
    }
    const fileEnd = segment.fileOffset + segment.fileSize;
    if (fileEnd > file.length) {
      throw new ConfigError(
        `${name}: truncated: segment ${index} needs file bytes up to ${fileEnd} but the file has ${file.length}; rebuild the kernel`,
      );
    }
    segments.push(segment);
  }
  if (!segments.some((s) => s.memSize > 0)) {
    throw new ConfigError(`${name}: has no loadable (PT_LOAD) segments; link it as an executable`);
  }
  return { entry, segments };
}

function checkIdentity(file: Uint8Array, name: string): void {
  const isElf = file.length >= 4 && file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46;
  if (!isElf) {
    const start = Array.from(file.subarray(0, 4), (b) => hexDigits(b, 2)).join(' ');
    const seen = file.length === 0 ? 'it is empty' : `it starts with ${start}`;
    throw new ConfigError(
      `${name}: not an ELF file (${seen}, not 7f 45 4c 46); give the linked kernel, not a source, object listing or raw binary`,
    );
  }
  if (file.length < 16) {
    throw new ConfigError(`${name}: truncated: only ${file.length} bytes of ELF header; rebuild the kernel`);
  }
  const elfClass = file[4];
  if (elfClass === ELFCLASS64) {
    throw new ConfigError(`${name}: is a 64-bit ELF; build with -m32 (the lab PC is a 32-bit i386)`);
  }
  if (elfClass !== ELFCLASS32) {
    throw new ConfigError(`${name}: unknown ELF class ${elfClass} (expected 1, 32-bit); the file is damaged, rebuild it`);
  }
  const data = file[5];
  if (data === ELFDATA2MSB) {
    throw new ConfigError(`${name}: is a big-endian ELF; the lab PC is little-endian i386, build with gcc -m32`);
  }
  if (data !== ELFDATA2LSB) {
    throw new ConfigError(`${name}: unknown ELF data encoding ${data}; the file is damaged, rebuild it`);
  }
  if (file.length < 20) {
    throw new ConfigError(`${name}: truncated: only ${file.length} bytes of ELF header; rebuild the kernel`);
  }
}

function checkMachine(machine: number, name: string): void {
  if (machine === EM_386) return;
  const known = MACHINE_NAMES[machine];
  const what = known === undefined ? `machine ${machine}` : `${known} (machine ${machine})`;
  throw new ConfigError(`${name}: is an ELF for ${what}, not Intel 80386; build it with gcc -m32`);
}

function checkType(type: number, name: string): void {
  if (type === ET_EXEC) return;
  const why: Record<number, string> = {
    [ET_REL]: 'is a relocatable object (.o), not a linked executable; link it with the kernel linker script',
    [ET_DYN]: 'is position-independent (a PIE or shared object); link the kernel at a fixed address with -no-pie',
    [ET_CORE]: 'is a core dump, not a kernel',
  };
  throw new ConfigError(`${name}: ${why[type] ?? `has ELF type ${type}, not an executable (ET_EXEC)`}`);
}

/**
 * The physical address to jump to. A higher-half kernel links e_entry at its
 * virtual address, but paging is off at boot, so when the entry lies in an
 * executable segment whose paddr differs from its vaddr we translate it
 * through that segment, as QEMU's ELF loader and GRUB both do.
 */
export function physicalEntry(exe: Elf32Executable): number {
  for (const s of exe.segments) {
    const inside = exe.entry >= s.vaddr && exe.entry < s.vaddr + s.fileSize;
    if (inside && s.vaddr !== s.paddr && (s.flags & PF_X) !== 0) {
      return (exe.entry - s.vaddr + s.paddr) >>> 0;
    }
  }
  return exe.entry;
}

/**
 * Names of the allocated sections inside a segment (".text .rodata"), or ''
 * when the file has no usable section table. Only used for messages, so any
 * inconsistency just yields ''.
 */
export function sectionsInSegment(file: Uint8Array, segment: LoadSegment): string {
  if (file.length < ELF_HEADER_SIZE) return '';
  const d = view(file);
  const shoff = d.getUint32(32, true);
  const shentsize = d.getUint16(46, true);
  const shnum = d.getUint16(48, true);
  const shstrndx = d.getUint16(50, true);
  if (shoff === 0 || shentsize < SECTION_HEADER_SIZE || shstrndx >= shnum) return '';
  if (shoff + shnum * shentsize > file.length) return '';
  const strtab = shoff + shstrndx * shentsize;
  const namesAt = d.getUint32(strtab + 16, true);
  const namesSize = d.getUint32(strtab + 20, true);
  if (namesAt + namesSize > file.length) return '';

  const names: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    const flags = d.getUint32(at + 8, true);
    const addr = d.getUint32(at + 12, true);
    const size = d.getUint32(at + 20, true);
    if ((flags & SHF_ALLOC) === 0 || size === 0) continue;
    if (addr < segment.vaddr || addr >= segment.vaddr + segment.memSize) continue;
    const nameOffset = d.getUint32(at, true);
    if (nameOffset >= namesSize) continue;
    let end = namesAt + nameOffset;
    while (end < namesAt + namesSize && file[end] !== 0) end++;
    names.push(new TextDecoder().decode(file.subarray(namesAt + nameOffset, end)));
  }
  return names.join(' ');
}

/** The physical range [low, high) the loaded segments cover. */
export interface LoadedExtent {
  low: number;
  high: number;
}

/**
 * Copy each PT_LOAD segment to its physical address (p_paddr, as GRUB and QEMU
 * do for Multiboot ELF kernels: paging is off, so the virtual address means
 * nothing yet) and zero the rest of its memory image, which is the .bss.
 */
export function loadElfSegments(ram: Uint8Array, file: Uint8Array, exe: Elf32Executable, name: string): LoadedExtent {
  let low = Infinity;
  let high = 0;
  for (const s of exe.segments) {
    if (s.memSize === 0) continue;
    const end = s.paddr + s.memSize;
    if (end > ram.length) throw segmentOutsideRam(ram, file, s, name);
    ram.set(file.subarray(s.fileOffset, s.fileOffset + s.fileSize), s.paddr);
    ram.fill(0, s.paddr + s.fileSize, end);
    low = Math.min(low, s.paddr);
    high = Math.max(high, end);
  }
  return { low, high };
}

function segmentOutsideRam(ram: Uint8Array, file: Uint8Array, s: LoadSegment, name: string): ConfigError {
  const end = s.paddr + s.memSize;
  const sections = sectionsInSegment(file, s);
  const what = sections === '' ? `segment ${s.index}` : `segment ${s.index} (${sections})`;
  const ramMiB = ram.length / ONE_MIB;
  const neededMiB = Math.ceil(end / ONE_MIB);
  // gcc on Debian and Ubuntu passes --build-id by default, and with -Ttext the
  // note lands in its own segment at the usual user-program address, 128 MiB up.
  const hint = sections.includes('.note')
    ? 'drop the note (-Wl,--build-id=none, or /DISCARD/ it in the linker script)'
    : neededMiB <= RAM_MIB.max
      ? `link the kernel lower (at 1 MiB) or run with --ram ${neededMiB}`
      : 'link the kernel at 1 MiB (-Ttext=0x100000 or a linker script)';
  return new ConfigError(
    `${name}: ${what} at physical ${hex32(s.paddr)}-${hex32(end)} lies outside RAM (${ramMiB} MiB ends at ${hex32(ram.length)}); ${hint}`,
  );
}
