// Multiboot v1: find the kernel's Multiboot header, load the kernel and its
// modules into RAM, and build the boot information the kernel reads through EBX.
// Section numbers below are those of the Multiboot Specification 0.6.96:
// 3.1 (the OS image and its header), 3.2 (machine state), 3.3 (boot information).
//
// Physical memory after loadMultiboot, for a kernel linked at 1 MiB:
//
//   0x00000000-0x0009FBFF   untouched (the memory map calls it usable)
//   0x00100000-kernel end   the kernel's PT_LOAD segments
//   infoAddr  (page start)  multiboot_info, memory map, mods array, strings
//   next page               module 0, then module 1, ... each on a 4 KiB boundary
//   freeAddr  (page start)  the first byte the loader did not use
//
// The boot information sits between the kernel and the modules because that is
// where QEMU puts the mods array and the strings: kernels commonly start their
// first allocator at the end of the last module, which must then be safe here
// exactly as it is under QEMU. (QEMU puts multiboot_info and the memory map in
// low memory at 0x9000; we keep low memory free for the kernel instead, and
// a kernel cannot tell the difference unless it hard-codes 0x9000.)

import { ConfigError, type ModuleImage } from '../config.ts';
import { hex32 } from '../hex.ts';
import { ONE_MIB, RAM_MIB } from '../ram-limits.ts';
import { loadElfSegments, parseElf32Executable, physicalEntry } from './elf.ts';

export interface BootState {
  /** Physical address of the first instruction; EIP at boot. */
  entry: number;
  /** Physical address of multiboot_info; EBX at boot. */
  infoAddr: number;
  /** First free physical byte after kernel, boot information and modules; page aligned. */
  freeAddr: number;
}

export interface MultibootOptions {
  kernel: Uint8Array;
  kernelName: string;
  modules: ModuleImage[];
  cmdline: string;
}

/** What the bootloader puts in EAX so the kernel knows it was booted by Multiboot (3.2). */
export const BOOTLOADER_MAGIC = 0x2badb002;
export const BOOTLOADER_NAME = 'ringlab';

const HEADER_MAGIC = 0x1badb002;
/** 3.1.1: the header must lie in the first 8192 bytes of the image, 32-bit aligned. */
const HEADER_SEARCH = 8192;
/**
 * The full header with video fields is 48 bytes. QEMU only looks where all 48
 * fit, which is stricter than the spec's 12; we do the same so that every
 * kernel we boot also boots under QEMU.
 */
const HEADER_FULL_SIZE = 48;

// Header flags (3.1.2). Bits 0-15 are requirements a loader must refuse if it
// does not know them; bits 16-31 are optional.
const HEADER_PAGE_ALIGN = 1 << 0; // modules on 4 KiB boundaries: we always do
const HEADER_MEMORY_INFO = 1 << 1; // mem_* and mmap: we always give them
const HEADER_VIDEO_MODE = 1 << 2; // ignored, as QEMU ignores it: there is no framebuffer
const HEADER_KNOWN_REQUIREMENTS = HEADER_PAGE_ALIGN | HEADER_MEMORY_INFO | HEADER_VIDEO_MODE;
const HEADER_AOUT_KLUDGE = 1 << 16; // load addresses come from the header, not from ELF

// multiboot_info.flags bits (3.3): which fields are valid.
const INFO_MEMORY = 1 << 0;
const INFO_CMDLINE = 1 << 2;
const INFO_MODS = 1 << 3;
const INFO_MMAP = 1 << 6;
const INFO_BOOTLOADER_NAME = 1 << 9;

/** multiboot_info is 116 bytes up to and including the framebuffer fields; 128 keeps what follows aligned. */
const INFO_RESERVED = 128;
const MMAP_ENTRY_SIZE = 24; // the size field (4) is not counted in its own value of 20
const MOD_ENTRY_SIZE = 16;

const PAGE_SIZE = 0x1000;
const VGA_WINDOW_START = 0xa0000;
const VGA_WINDOW_END = 0xc0000;

const MEMORY_AVAILABLE = 1;
const MEMORY_RESERVED = 2;

interface MultibootHeader {
  offset: number;
  flags: number;
}

interface LoadedKernel {
  entry: number;
  /** One past the highest physical byte the kernel occupies. */
  end: number;
}

interface MemoryRegion {
  base: number;
  length: number;
  type: number;
}

/**
 * Load a Multiboot kernel and its modules into `ram` (guest physical memory,
 * index = physical address) and write the boot information. Throws
 * ConfigError when the kernel or modules cannot be booted.
 */
export function loadMultiboot(ram: Uint8Array, opts: MultibootOptions): BootState {
  const kernel = loadKernel(ram, opts.kernel, opts.kernelName);
  const layout = planLayout(ram, kernel, opts);
  opts.modules.forEach((module, i) => ram.set(module.bytes, layout.moduleStarts[i]));
  writeBootInfo(ram, layout, opts.modules);
  return { entry: kernel.entry, infoAddr: layout.infoAddr, freeAddr: layout.freeAddr };
}

// ---------------------------------------------------------------------------
// The kernel image

function loadKernel(ram: Uint8Array, file: Uint8Array, name: string): LoadedKernel {
  const scan = scanForHeader(file);
  const header = scan.header;
  if (header !== undefined && (header.flags & HEADER_AOUT_KLUDGE) !== 0) {
    // QEMU, like GRUB, prefers the header's addresses over ELF when this flag is set.
    checkRequiredFlags(header, name);
    return loadByHeaderAddresses(ram, file, header, name);
  }
  // ELF problems come first: a 64-bit or non-ELF file usually has no header we
  // can find either, and "build with -m32" is the message that helps.
  const exe = parseElf32Executable(file, name);
  if (header === undefined) {
    if (scan.badChecksumAt !== undefined) throw badChecksum(file, scan.badChecksumAt, name);
    throw new ConfigError(
      `${name}: no Multiboot header in the first 8 KiB (QEMU looks there too); add the header from labs/kernel/boot.S`,
    );
  }
  checkRequiredFlags(header, name);
  for (const s of exe.segments) {
    if (s.memSize > 0) checkNotInVgaWindow(s.paddr, s.paddr + s.memSize, `segment ${s.index}`, name);
  }
  const extent = loadElfSegments(ram, file, exe, name);
  const entry = physicalEntry(exe);
  if (!exe.segments.some((s) => entry >= s.paddr && entry < s.paddr + s.memSize)) {
    throw new ConfigError(
      `${name}: entry point ${hex32(entry)} is outside every loaded segment; check ENTRY() in the linker script (readelf -l shows the segments)`,
    );
  }
  return { entry, end: extent.high };
}

function scanForHeader(file: Uint8Array): { header?: MultibootHeader; badChecksumAt?: number } {
  const d = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const limit = Math.min(HEADER_SEARCH - HEADER_FULL_SIZE, file.length - 12);
  let badChecksumAt: number | undefined;
  for (let offset = 0; offset <= limit; offset += 4) {
    if (d.getUint32(offset, true) !== HEADER_MAGIC) continue;
    const flags = d.getUint32(offset + 4, true);
    const checksum = d.getUint32(offset + 8, true);
    // Keep looking after a bad checksum, as QEMU does: the magic number can
    // also appear by chance, for example in code that checks for it.
    if (((HEADER_MAGIC + flags + checksum) >>> 0) === 0) return { header: { offset, flags } };
    badChecksumAt ??= offset;
  }
  return { badChecksumAt };
}

function badChecksum(file: Uint8Array, offset: number, name: string): ConfigError {
  const d = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const flags = d.getUint32(offset + 4, true);
  const sum = (HEADER_MAGIC + flags + d.getUint32(offset + 8, true)) >>> 0;
  return new ConfigError(
    `${name}: the Multiboot header at file offset 0x${offset.toString(16)} has a bad checksum (magic + flags + checksum = ${hex32(sum)}, must be 0); set checksum to -(0x1BADB002 + flags)`,
  );
}

function checkRequiredFlags(header: MultibootHeader, name: string): void {
  const unknown = header.flags & 0xffff & ~HEADER_KNOWN_REQUIREMENTS;
  if (unknown !== 0) {
    throw new ConfigError(
      `${name}: the Multiboot header requires features ${hex32(unknown)} this loader does not know (flags ${hex32(header.flags)}); only bits 0-2 are defined, clear the others`,
    );
  }
}

/** 0xA0000-0xBFFFF is the VGA window: bytes written there are video memory, not RAM the kernel can read back. */
function checkNotInVgaWindow(start: number, end: number, what: string, name: string): void {
  if (start < VGA_WINDOW_END && end > VGA_WINDOW_START) {
    throw new ConfigError(
      `${name}: ${what} at physical ${hex32(start)}-${hex32(end)} overlaps VGA memory (0x000a0000-0x000bffff), which is not RAM; link the kernel at 1 MiB`,
    );
  }
}

/**
 * 3.1.3: with the a.out kludge the header itself says which part of the file
 * to load where: the file byte at the header's offset goes to header_addr.
 */
function loadByHeaderAddresses(ram: Uint8Array, file: Uint8Array, header: MultibootHeader, name: string): LoadedKernel {
  const d = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const at = header.offset;
  if (at + 32 > file.length) {
    throw new ConfigError(`${name}: truncated: the Multiboot header's address fields run past the end of the file; rebuild it`);
  }
  const headerAddr = d.getUint32(at + 12, true);
  const loadAddr = d.getUint32(at + 16, true);
  const loadEndAddr = d.getUint32(at + 20, true);
  const bssEndAddr = d.getUint32(at + 24, true);
  const entry = d.getUint32(at + 28, true);
  const fields = `header_addr ${hex32(headerAddr)}, load_addr ${hex32(loadAddr)}, load_end_addr ${hex32(loadEndAddr)}, bss_end_addr ${hex32(bssEndAddr)}`;
  const bad = (why: string) =>
    new ConfigError(`${name}: the Multiboot header's addresses are inconsistent (${fields}): ${why}`);

  const textOffset = at - (headerAddr - loadAddr);
  if (headerAddr < loadAddr || textOffset < 0) throw bad('the header must lie between load_addr and the header itself');
  if (loadEndAddr !== 0 && loadEndAddr < loadAddr) throw bad('load_end_addr is below load_addr');
  const loadSize = loadEndAddr === 0 ? file.length - textOffset : loadEndAddr - loadAddr;
  if (textOffset + loadSize > file.length) {
    throw new ConfigError(
      `${name}: truncated: the Multiboot header asks for file bytes up to ${textOffset + loadSize} but the file has ${file.length}; rebuild the kernel`,
    );
  }
  if (bssEndAddr !== 0 && bssEndAddr < loadAddr + loadSize) throw bad('bss_end_addr is below the end of the loaded image');
  const end = bssEndAddr === 0 ? loadAddr + loadSize : bssEndAddr;

  if (end > ram.length) {
    throw new ConfigError(
      `${name}: the image at physical ${hex32(loadAddr)}-${hex32(end)} lies outside RAM (${ram.length / ONE_MIB} MiB ends at ${hex32(ram.length)}); load it at 1 MiB or raise --ram`,
    );
  }
  checkNotInVgaWindow(loadAddr, end, 'the image', name);
  ram.set(file.subarray(textOffset, textOffset + loadSize), loadAddr);
  ram.fill(0, loadAddr + loadSize, end);
  if (entry < loadAddr || entry >= end) {
    throw new ConfigError(
      `${name}: entry_addr ${hex32(entry)} in the Multiboot header is outside the loaded image ${hex32(loadAddr)}-${hex32(end)}`,
    );
  }
  return { entry, end };
}

// ---------------------------------------------------------------------------
// Modules and the boot information

interface Layout {
  ramBytes: number;
  infoAddr: number;
  mmap: MemoryRegion[];
  mmapAddr: number;
  modsAddr: number;
  /** Each string, NUL-terminated, at its physical address. */
  strings: { addr: number; bytes: Uint8Array }[];
  cmdlineAddr: number;
  loaderNameAddr: number;
  moduleCmdlineAddrs: number[];
  moduleStarts: number[];
  freeAddr: number;
}

function pageAlign(addr: number): number {
  return Math.ceil(addr / PAGE_SIZE) * PAGE_SIZE;
}

function cString(text: string, what: string): Uint8Array {
  if (text.includes('\0')) {
    throw new ConfigError(`${what} contains a NUL character, which would cut the C string short; remove it`);
  }
  const utf8 = new TextEncoder().encode(text);
  const bytes = new Uint8Array(utf8.length + 1);
  bytes.set(utf8);
  return bytes;
}

/** Decide every address before writing anything, so a RAM shortfall is reported once, in full. */
function planLayout(ram: Uint8Array, kernel: LoadedKernel, opts: MultibootOptions): Layout {
  const mmap = memoryMap(ram.length);
  // Below 1 MiB usable RAM stops at 0x9FC00, so a kernel linked low still gets
  // its modules and boot information in the large region the mmap describes.
  const infoAddr = pageAlign(Math.max(kernel.end, ONE_MIB));
  const mmapAddr = infoAddr + INFO_RESERVED;
  const modsAddr = mmapAddr + mmap.length * MMAP_ENTRY_SIZE;

  const strings: { addr: number; bytes: Uint8Array }[] = [];
  let cursor = modsAddr + opts.modules.length * MOD_ENTRY_SIZE;
  const place = (bytes: Uint8Array): number => {
    strings.push({ addr: cursor, bytes });
    cursor += bytes.length;
    return cursor - bytes.length;
  };
  const cmdlineAddr = place(cString(opts.cmdline, `${opts.kernelName}: the kernel command line`));
  const moduleCmdlineAddrs = opts.modules.map((m) => place(cString(m.cmdline, `${m.name}: the module command line`)));
  const loaderNameAddr = place(cString(BOOTLOADER_NAME, 'the boot loader name'));

  // 3.1.2 bit 0 asks for 4 KiB-aligned modules; we align whether asked or not,
  // as QEMU does, so a kernel can map each module with whole pages.
  let next = pageAlign(cursor);
  const moduleStarts = opts.modules.map((m) => {
    const start = next;
    next = pageAlign(start + m.bytes.length);
    return start;
  });
  const freeAddr = next;
  if (freeAddr > ram.length) throw ramTooSmall(ram.length, freeAddr, kernel, opts);

  return {
    ramBytes: ram.length,
    infoAddr,
    mmap,
    mmapAddr,
    modsAddr,
    strings,
    cmdlineAddr,
    loaderNameAddr,
    moduleCmdlineAddrs,
    moduleStarts,
    freeAddr,
  };
}

function ramTooSmall(ramBytes: number, needed: number, kernel: LoadedKernel, opts: MultibootOptions): ConfigError {
  const needMiB = Math.ceil(needed / ONE_MIB);
  const haveMiB = +(ramBytes / ONE_MIB).toFixed(2);
  const fix = needMiB <= RAM_MIB.max ? `run with --ram ${needMiB} or more` : `the lab PC has at most ${RAM_MIB.max} MiB: use smaller modules`;
  if (opts.modules.length === 0) {
    return new ConfigError(
      `${opts.kernelName}: no room for the Multiboot information after the kernel (it ends at ${hex32(kernel.end)}): ${needMiB} MiB of RAM needed, the machine has ${haveMiB} MiB; ${fix}`,
    );
  }
  const moduleBytes = opts.modules.reduce((sum, m) => sum + m.bytes.length, 0);
  const count = opts.modules.length === 1 ? '1 module' : `${opts.modules.length} modules`;
  return new ConfigError(
    `not enough RAM for the modules: ${opts.kernelName} (ends at ${hex32(kernel.end)}), ${count} (${moduleBytes} bytes) and the boot information need ${needMiB} MiB of RAM, the machine has ${haveMiB} MiB; ${fix}`,
  );
}

/**
 * The BIOS-style (E820) map QEMU's firmware reports, minus what our PC does
 * not have: the top 1 KiB of conventional memory is the EBDA and 0xF0000 up
 * the BIOS ROM; QEMU also reserves the last 128 KiB of RAM for ACPI tables
 * and 0xFFFC0000 up for its flash, which we have neither of.
 */
function memoryMap(ramBytes: number): MemoryRegion[] {
  const map: MemoryRegion[] = [
    { base: 0, length: 0x9fc00, type: MEMORY_AVAILABLE },
    { base: 0x9fc00, length: 0x400, type: MEMORY_RESERVED },
    { base: 0xf0000, length: 0x10000, type: MEMORY_RESERVED },
  ];
  if (ramBytes > ONE_MIB) map.push({ base: ONE_MIB, length: ramBytes - ONE_MIB, type: MEMORY_AVAILABLE });
  return map;
}

/** 3.3: multiboot_info, then the memory map, the mods array and the strings it points to. */
function writeBootInfo(ram: Uint8Array, layout: Layout, modules: ModuleImage[]): void {
  const d = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  const info = layout.infoAddr;
  ram.fill(0, info, info + INFO_RESERVED);
  d.setUint32(info + 0, INFO_MEMORY | INFO_CMDLINE | INFO_MODS | INFO_MMAP | INFO_BOOTLOADER_NAME, true);
  // mem_lower and mem_upper are the first and the 1 MiB regions of the map, in KiB.
  d.setUint32(info + 4, 0x9fc00 / 1024, true);
  d.setUint32(info + 8, Math.max(0, layout.ramBytes - ONE_MIB) >>> 10, true);
  d.setUint32(info + 16, layout.cmdlineAddr, true);
  d.setUint32(info + 20, modules.length, true);
  d.setUint32(info + 24, layout.modsAddr, true);
  d.setUint32(info + 44, layout.mmap.length * MMAP_ENTRY_SIZE, true);
  d.setUint32(info + 48, layout.mmapAddr, true);
  d.setUint32(info + 64, layout.loaderNameAddr, true);

  layout.mmap.forEach((region, i) => {
    const at = layout.mmapAddr + i * MMAP_ENTRY_SIZE;
    d.setUint32(at + 0, MMAP_ENTRY_SIZE - 4, true);
    d.setUint32(at + 4, region.base, true); // base_addr, low half; the high half is 0 below 4 GiB
    d.setUint32(at + 8, 0, true);
    d.setUint32(at + 12, region.length, true);
    d.setUint32(at + 16, 0, true);
    d.setUint32(at + 20, region.type, true);
  });

  modules.forEach((module, i) => {
    const at = layout.modsAddr + i * MOD_ENTRY_SIZE;
    const start = layout.moduleStarts[i]!; // the layout has a start and a command line for every module
    d.setUint32(at + 0, start, true);
    d.setUint32(at + 4, start + module.bytes.length, true); // mod_end is one past the last byte
    d.setUint32(at + 8, layout.moduleCmdlineAddrs[i]!, true);
    d.setUint32(at + 12, 0, true);
  });

  for (const s of layout.strings) ram.set(s.bytes, s.addr);
}
