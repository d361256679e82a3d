import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ModuleImage } from '../../../engine/config.ts';
import { loadMultiboot } from '../../../engine/boot/multiboot.ts';
import { buildElf, bytes, cstring, u32 } from './build-elf.ts';
import { needs } from '../../host-tools.ts';

const MiB = 0x100000;

// A kernel whose last byte (its .bss) ends at 0x102345.
const kernel = buildElf({
  segments: [
    { paddr: 0x100000, data: bytes(0xf4, 0xeb, 0xfd) },
    { paddr: 0x101000, memSize: 0x1345, flags: 6 },
  ],
});

function module(name: string, size: number, cmdline = name): ModuleImage {
  return { name, bytes: Uint8Array.from({ length: size }, (_, i) => (i * 7 + name.length) & 0xff), cmdline };
}

function le32(...words: number[]): number[] {
  return words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
}

function ascii(text: string): number[] {
  return [...new TextEncoder().encode(text), 0];
}

describe('the Multiboot information block', () => {
  it('is laid out after the kernel, byte for byte, with the modules on the pages after it', () => {
    const ram = new Uint8Array(32 * MiB).fill(0xaa);
    const modules = [module('prog1', 5000, 'prog1 arg1 arg2'), module('prog2', 4096)];
    const state = loadMultiboot(ram, { kernel, kernelName: 'kernel.elf', modules, cmdline: 'console=com1 verbose' });

    expect(state).toEqual({ entry: 0x100000, infoAddr: 0x103000, freeAddr: 0x107000 });
    const expected = [
      // multiboot_info
      ...le32(0x24d), // flags: mem, cmdline, mods, mmap, boot_loader_name
      ...le32(639), // mem_lower (KiB)
      ...le32(31 * 1024), // mem_upper: 32 MiB - 1 MiB, in KiB
      ...le32(0), // boot_device (flag 1 clear)
      ...le32(0x103100), // cmdline
      ...le32(2, 0x1030e0), // mods_count, mods_addr
      ...le32(0, 0, 0, 0), // syms
      ...le32(96, 0x103080), // mmap_length, mmap_addr
      ...le32(0, 0, 0), // drives_length, drives_addr, config_table
      ...le32(0x10312b), // boot_loader_name
      ...new Array(128 - 68).fill(0), // apm, vbe, framebuffer, padding
      // memory map at 0x103080: size, base (lo, hi), length (lo, hi), type
      ...le32(20, 0, 0, 0x9fc00, 0, 1),
      ...le32(20, 0x9fc00, 0, 0x400, 0, 2),
      ...le32(20, 0xf0000, 0, 0x10000, 0, 2),
      ...le32(20, 0x100000, 0, 31 * MiB, 0, 1),
      // mods at 0x1030e0: mod_start, mod_end (exclusive), string, reserved
      ...le32(0x104000, 0x104000 + 5000, 0x103115, 0),
      ...le32(0x106000, 0x107000, 0x103125, 0),
      // strings at 0x103100
      ...ascii('console=com1 verbose'),
      ...ascii('prog1 arg1 arg2'),
      ...ascii('prog2'),
      ...ascii('ringlab'),
    ];
    expect([...ram.subarray(0x103000, 0x103000 + expected.length)]).toEqual(expected);
    expect(0x103000 + expected.length).toBe(0x103133);

    expect([...ram.subarray(0x104000, 0x104000 + 5000)]).toEqual([...modules[0]!.bytes]);
    expect([...ram.subarray(0x106000, 0x107000)]).toEqual([...modules[1]!.bytes]);
    // Nothing was written past freeAddr or in low memory.
    expect(ram[0x107000]).toBe(0xaa);
    expect(ram.subarray(0, 0xa0000).every((b) => b === 0xaa)).toBe(true);
  });

  it('still says where the (empty) mods array is when there are no modules', () => {
    const ram = new Uint8Array(8 * MiB);
    const state = loadMultiboot(ram, { kernel, kernelName: 'kernel.elf', modules: [], cmdline: '' });
    expect(state).toEqual({ entry: 0x100000, infoAddr: 0x103000, freeAddr: 0x104000 });
    expect(u32(ram, 0x103000 + 8)).toBe(7 * 1024);
    expect(u32(ram, 0x103000 + 20)).toBe(0);
    expect(u32(ram, 0x103000 + 24)).toBe(0x1030e0);
    expect(cstring(ram, u32(ram, 0x103000 + 16))).toBe('');
    expect(cstring(ram, u32(ram, 0x103000 + 64))).toBe('ringlab');
    expect(u32(ram, 0x1030e0 - 24 + 12)).toBe(7 * MiB); // last mmap entry: the RAM above 1 MiB
  });

  it('page-aligns every module, an empty one included, and keeps each command line whole', () => {
    const ram = new Uint8Array(32 * MiB);
    const modules = [module('a', 1), module('empty', 0, 'empty  two  spaces'), module('c', 0x2001, 'c x=1')];
    const state = loadMultiboot(ram, { kernel, kernelName: 'kernel.elf', modules, cmdline: 'x' });
    const mods = u32(ram, state.infoAddr + 24);
    const entries = modules.map((_, i) => [0, 4, 8].map((field) => u32(ram, mods + 16 * i + field)));
    expect(entries.map(([start, end]) => [start, end])).toEqual([
      [0x104000, 0x104001],
      [0x105000, 0x105000],
      [0x105000, 0x107001],
    ]);
    expect(entries.map(([, , string]) => cstring(ram, string!))).toEqual(['a', 'empty  two  spaces', 'c x=1']);
    expect(state.freeAddr).toBe(0x108000);
  });

  it('puts the boot information at 1 MiB when the kernel is linked in low memory', () => {
    const low = buildElf({ segments: [{ paddr: 0x10000, data: bytes(0xf4) }] });
    const ram = new Uint8Array(4 * MiB);
    const state = loadMultiboot(ram, { kernel: low, kernelName: 'low.elf', modules: [module('m', 1)], cmdline: '' });
    expect(state).toEqual({ entry: 0x10000, infoAddr: 0x100000, freeAddr: 0x102000 });
    expect(u32(ram, u32(ram, 0x100000 + 24))).toBe(0x101000);
  });

  it('reports the RAM it has, whatever the size', () => {
    for (const mib of [2, 128, 3072]) {
      const ram = new Uint8Array(mib * MiB);
      const { infoAddr } = loadMultiboot(ram, { kernel, kernelName: 'k', modules: [], cmdline: '' });
      expect(u32(ram, infoAddr + 8)).toBe((mib - 1) * 1024);
      expect(u32(ram, infoAddr + 44)).toBe(96);
      expect(u32(ram, u32(ram, infoAddr + 48) + 72 + 12)).toBe((mib - 1) * MiB);
    }
  });

  it('refuses modules that do not fit, naming the RAM they need', () => {
    const ram = new Uint8Array(4 * MiB);
    const modules = [module('big', 3 * MiB), module('small', 10)];
    let message = '';
    try {
      loadMultiboot(ram, { kernel, kernelName: 'kernel.elf', modules, cmdline: '' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toBe(
      'not enough RAM for the modules: kernel.elf (ends at 0x00102345), 2 modules (3145738 bytes) and the boot information need 5 MiB of RAM, the machine has 4 MiB; run with --ram 5 or more',
    );
    expect(() =>
      loadMultiboot(new Uint8Array(5 * MiB), { kernel, kernelName: 'kernel.elf', modules, cmdline: '' }),
    ).not.toThrow();
  });

  it('refuses a command line with a NUL in it, which the kernel would see cut short', () => {
    expect(() =>
      loadMultiboot(new Uint8Array(4 * MiB), { kernel, kernelName: 'kernel.elf', modules: [], cmdline: 'a\0b' }),
    ).toThrow(/^kernel\.elf: the kernel command line contains a NUL character/);
  });
});

// The second oracle: QEMU's own Multiboot loader, read back by a kernel that
// prints what it was given. QEMU's layout differs on purpose (multiboot_info at
// 0x9500, the mmap at 0x9000, a boot_device, "qemu" as the name and the kernel's
// path before its command line), and its map reserves ACPI and flash areas our
// PC does not have; everything else must agree.
const dir = mkdtempSync(join(tmpdir(), 'ringlab-mb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DUMP_S = `
  .text
  .align 4
  .long 0x1BADB002, 3, -(0x1BADB002 + 3)
  .globl _start
_start:
  mov $stack_top, %esp
  push %ebx
  push %eax
  call dump
1: hlt
  jmp 1b
  .bss
  .space 4096
stack_top:
`;

const DUMP_C = `
typedef unsigned int u32;
static void out(char c) { __asm__ volatile("outb %0, $0xe9" : : "a"(c)); }
static void str(const char *s) { while (*s) out(*s++); }
static void num(u32 v) { str(" "); for (int i = 28; i >= 0; i -= 4) out("0123456789abcdef"[(v >> i) & 15]); }
void dump(u32 magic, u32 *mbi) {
  str("magic"); num(magic); str("\\nflags"); num(mbi[0]);
  str("\\nmem"); num(mbi[1]); num(mbi[2]);
  str("\\ncmdline "); str((const char *)mbi[4]);
  u32 *mods = (u32 *)mbi[6];
  for (u32 i = 0; i < mbi[5]; i++) {
    str("\\nmod"); num(mods[4 * i]); num(mods[4 * i + 1]); str(" "); str((const char *)mods[4 * i + 2]);
  }
  for (unsigned char *p = (unsigned char *)mbi[12]; p < (unsigned char *)mbi[12] + mbi[11]; p += *(u32 *)p + 4) {
    u32 *e = (u32 *)p;
    str("\\nmmap"); num(e[1]); num(e[3]); num(e[5]);
  }
  str("\\n");
  __asm__ volatile("outb %0, $0xf4" : : "a"((char)0));
}
`;

describe('agreement with QEMU', needs('qemu', 'gcc'), () => {
  it('gives the kernel the same memory sizes, modules, command lines and map', () => {
    writeFileSync(join(dir, 'boot.S'), DUMP_S);
    writeFileSync(join(dir, 'dump.c'), DUMP_C);
    const elf = join(dir, 'dump.elf');
    execFileSync('gcc', [
      '-m32', '-ffreestanding', '-nostdlib', '-static', '-fno-pic', '-fno-stack-protector', '-mgeneral-regs-only',
      '-fno-asynchronous-unwind-tables', '-O1', '-Wl,-Ttext=0x100000', '-Wl,--build-id=none',
      join(dir, 'boot.S'), join(dir, 'dump.c'), '-o', elf,
    ], { stdio: 'pipe' });
    const modules = [module('m1', 5, 'ARGS one two'), module('m2', 10000, ''), module('m3', 4096, 'x')];
    const modulePaths = modules.map((m) => {
      const path = join(dir, m.name);
      writeFileSync(path, m.bytes);
      return m.cmdline === '' ? path : `${path} ${m.cmdline}`;
    });
    const out = join(dir, 'debugcon.txt');
    spawnSync('qemu-system-i386', [
      '-display', 'none', '-m', '32', '-no-reboot', '-kernel', elf, '-append', 'console=com1 quiet',
      '-initrd', modulePaths.join(','), '-debugcon', `file:${out}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
    ], { timeout: 60_000 });
    const qemu = readFileSync(out, 'utf8').trim().split('\n');

    const ram = new Uint8Array(32 * MiB);
    const ours = loadMultiboot(ram, {
      kernel: readFileSync(elf),
      kernelName: elf,
      modules: modules.map((m, i) => ({ ...m, cmdline: modulePaths[i]! })),
      cmdline: 'console=com1 quiet',
    });
    const info = ours.infoAddr;
    const hex = (v: number) => v.toString(16).padStart(8, '0');

    expect(qemu[0]).toBe('magic 2badb002');
    // QEMU also passes a boot_device (flag 1); there is no disk on the lab PC.
    expect(qemu[1]).toBe(`flags ${hex(u32(ram, info) | 2)}`);
    // QEMU's mem_upper stops below its ACPI tables in the last 128 KiB.
    expect(qemu[2]).toBe(`mem ${hex(u32(ram, info + 4))} ${hex(u32(ram, info + 8) - 128)}`);
    expect(qemu[3]).toBe(`cmdline ${elf} ${cstring(ram, u32(ram, info + 16))}`);

    const mods = u32(ram, info + 24);
    const ourMods = modules.map(
      (_, i) =>
        `mod ${hex(u32(ram, mods + 16 * i))} ${hex(u32(ram, mods + 16 * i + 4))} ${cstring(ram, u32(ram, mods + 16 * i + 8))}`,
    );
    expect(qemu.filter((l) => l.startsWith('mod '))).toEqual(ourMods);

    const mmap = u32(ram, info + 48);
    const ourMap = [0, 1, 2, 3].map(
      (i) => `mmap ${hex(u32(ram, mmap + 24 * i + 4))} ${hex(u32(ram, mmap + 24 * i + 12))} ${hex(u32(ram, mmap + 24 * i + 20))}`,
    );
    const qemuMap = qemu.filter((l) => l.startsWith('mmap '));
    expect(qemuMap.slice(0, 3)).toEqual(ourMap.slice(0, 3));
    expect(qemuMap[3]).toBe(`mmap 00100000 ${hex(31 * MiB - 0x20000)} 00000001`);
    expect(ourMap[3]).toBe(`mmap 00100000 ${hex(31 * MiB)} 00000001`);
    expect(qemuMap.slice(4).every((l) => l.endsWith(' 00000002'))).toBe(true);
  });
});
