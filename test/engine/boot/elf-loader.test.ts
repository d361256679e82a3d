import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../engine/config.ts';
import { type BootState, loadMultiboot } from '../../../engine/boot/multiboot.ts';
import { buildElf, bytes, DATA_OFFSET, type ElfSpec, multibootChecksum, MULTIBOOT_MAGIC } from './build-elf.ts';
import { needs } from '../../host-tools.ts';

const MiB = 0x100000;

function freshRam(mib = 32, fill = 0xaa): Uint8Array {
  // Filled with a pattern so a missing .bss clear shows up.
  return new Uint8Array(mib * MiB).fill(fill);
}

function boot(kernel: Uint8Array, ram = freshRam()): BootState {
  return loadMultiboot(ram, { kernel, kernelName: 'kernel.elf', modules: [], cmdline: '' });
}

/** The loader's refusal: a ConfigError of one line matching `pattern`. */
function refusal(kernel: Uint8Array, ram?: Uint8Array): string {
  try {
    boot(kernel, ram);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    expect(message.startsWith('kernel.elf: ')).toBe(true);
    return message;
  }
  throw new Error('the loader accepted the kernel');
}

const code = bytes(0xfa, 0xf4, 0xeb, 0xfd); // cli; hlt; jmp $-1
const simple: ElfSpec = { segments: [{ paddr: 0x100000, data: code }] };

describe('loading ELF segments', () => {
  it('copies each PT_LOAD segment to p_paddr, zeroes the rest of p_memsz, and starts at e_entry', () => {
    const data = bytes(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const ram = freshRam();
    const state = boot(
      buildElf({
        entry: 0x100002,
        segments: [
          { paddr: 0x100000, data: code },
          { paddr: 0x101000, data, memSize: 0x20, flags: 6 },
          { paddr: 0x103000, memSize: 0x1000, flags: 6 }, // .bss only
        ],
      }),
      ram,
    );
    expect(state.entry).toBe(0x100002);
    expect([...ram.subarray(0x100000, 0x100004)]).toEqual([...code]);
    expect([...ram.subarray(0x101000, 0x101009)]).toEqual([...data]);
    expect(ram.subarray(0x101009, 0x101020).every((b) => b === 0)).toBe(true);
    expect(ram[0x101020]).toBe(0xaa); // past p_memsz: untouched
    expect(ram.subarray(0x103000, 0x104000).every((b) => b === 0)).toBe(true);
    expect(ram[0x0ffff]).toBe(0xaa);
  });

  it('loads by physical address and turns a virtual entry point into a physical one', () => {
    const ram = freshRam();
    const state = boot(
      buildElf({ entry: 0xc0100001, segments: [{ vaddr: 0xc0100000, paddr: 0x100000, data: code }] }),
      ram,
    );
    expect(state.entry).toBe(0x100001);
    expect([...ram.subarray(0x100000, 0x100004)]).toEqual([...code]);
  });

  it('ignores program headers other than PT_LOAD', () => {
    const state = boot(
      buildElf({
        segments: [
          { paddr: 0x100000, data: code },
          { type: 4, paddr: 0x8048000, data: bytes(1, 2, 3, 4) }, // PT_NOTE far outside RAM
        ],
      }),
    );
    expect(state.entry).toBe(0x100000);
  });
});

describe('refusing kernels that cannot boot', () => {
  it('a file that is not ELF', () => {
    expect(refusal(new TextEncoder().encode('int main(void) { return 0; }\n'))).toMatch(
      /^kernel\.elf: not an ELF file \(it starts with 69 6e 74 20/,
    );
    expect(refusal(new Uint8Array(0))).toMatch(/not an ELF file \(it is empty/);
  });

  it('a 64-bit ELF', () => {
    expect(refusal(buildElf({ ...simple, elfClass: 2 }))).toBe(
      'kernel.elf: is a 64-bit ELF; build with -m32 (the lab PC is a 32-bit i386)',
    );
  });

  it('a big-endian ELF, another machine, or not an executable', () => {
    expect(refusal(buildElf({ ...simple, dataEncoding: 2 }))).toMatch(/is a big-endian ELF/);
    expect(refusal(buildElf({ ...simple, machine: 40 }))).toMatch(/is an ELF for ARM \(machine 40\), not Intel 80386/);
    expect(refusal(buildElf({ ...simple, type: 1 }))).toMatch(/is a relocatable object \(\.o\)/);
    expect(refusal(buildElf({ ...simple, type: 3 }))).toMatch(/is position-independent/);
  });

  it('a truncated file: header, program headers, or segment data', () => {
    const whole = buildElf(simple);
    expect(refusal(whole.subarray(0, 40))).toMatch(/^kernel\.elf: truncated: the ELF header needs 52 bytes but the file has 40/);
    expect(refusal(whole.subarray(0, 70))).toMatch(/^kernel\.elf: truncated: the program headers end at byte 84 but the file has 70 bytes/);
    const cut = buildElf({ segments: [{ paddr: 0x100000, data: new Uint8Array(64) }] }).subarray(0, DATA_OFFSET + 10);
    expect(refusal(cut)).toMatch(/truncated: segment 0 needs file bytes up to 4160 but the file has 4106/);
  });

  it('a segment with more file bytes than memory bytes', () => {
    expect(refusal(buildElf({ segments: [{ paddr: 0x100000, data: code, memSize: 2 }] }))).toMatch(
      /segment 0 has more file bytes \(4\) than memory bytes \(2\)/,
    );
  });

  it('no Multiboot header', () => {
    expect(refusal(buildElf({ ...simple, multiboot: null }))).toBe(
      'kernel.elf: no Multiboot header in the first 8 KiB (QEMU looks there too); add the header from labs/kernel/boot.S',
    );
  });

  it('a Multiboot header past the first 8 KiB, where QEMU does not look', () => {
    // QEMU stops at 8192 - 48 so that a header with video fields fits; so do we.
    expect(refusal(buildElf({ ...simple, multiboot: { offset: 8192 - 44 } }))).toMatch(/no Multiboot header/);
    expect(boot(buildElf({ ...simple, multiboot: { offset: 8192 - 48 } })).entry).toBe(0x100000);
  });

  it('a Multiboot header with a bad checksum', () => {
    expect(refusal(buildElf({ ...simple, multiboot: { flags: 3, checksum: multibootChecksum(0) } }))).toBe(
      'kernel.elf: the Multiboot header at file offset 0x400 has a bad checksum (magic + flags + checksum = 0x00000003, must be 0); set checksum to -(0x1BADB002 + flags)',
    );
  });

  it('keeps scanning past a stray magic number, as QEMU does', () => {
    const file = buildElf({ ...simple, multiboot: { offset: 0x800 } });
    new DataView(file.buffer).setUint32(0x200, MULTIBOOT_MAGIC, true); // e.g. a `cmp $0x1badb002` in code
    expect(boot(file).entry).toBe(0x100000);
  });

  it('required header flags it does not know, but not the video flag, which QEMU ignores too', () => {
    expect(refusal(buildElf({ ...simple, multiboot: { flags: 0x8 } }))).toMatch(
      /the Multiboot header requires features 0x00000008 this loader does not know/,
    );
    expect(boot(buildElf({ ...simple, multiboot: { flags: 0x7 } })).entry).toBe(0x100000);
  });

  it('a segment outside RAM, naming the range, the RAM size and the fix', () => {
    const file = buildElf({ segments: [{ paddr: 0x100000, data: code }, { paddr: 0x2400000, memSize: 0x1000 }] });
    expect(refusal(file)).toBe(
      'kernel.elf: segment 1 at physical 0x02400000-0x02401000 lies outside RAM (32 MiB ends at 0x02000000); link the kernel lower (at 1 MiB) or run with --ram 37',
    );
    expect(boot(file, freshRam(37)).entry).toBe(0x100000);
    const high = buildElf({ segments: [{ paddr: 0xf0000000, data: code }] });
    expect(refusal(high)).toMatch(/0xf0000000-0xf0000004 lies outside RAM .* link the kernel at 1 MiB/);
  });

  it('a segment in the VGA window, which is not RAM', () => {
    expect(refusal(buildElf({ segments: [{ paddr: 0xb8000, data: code }] }))).toMatch(
      /segment 0 at physical 0x000b8000-0x000b8004 overlaps VGA memory/,
    );
  });

  it('an entry point outside every segment', () => {
    expect(refusal(buildElf({ ...simple, entry: 0x200000 }))).toMatch(
      /entry point 0x00200000 is outside every loaded segment; check ENTRY\(\)/,
    );
  });
});

describe('the a.out kludge (header flag 16)', () => {
  it('loads the file from the header offset to the header addresses, whatever the file format', () => {
    // A flat binary: the header is at offset 0 and says "I am at 0x100000".
    const image = new Uint8Array(0x40);
    const d = new DataView(image.buffer);
    const flags = 0x10000;
    [MULTIBOOT_MAGIC, flags, multibootChecksum(flags), 0x100000, 0x100000, 0x100040, 0x100100, 0x100020].forEach(
      (word, i) => d.setUint32(4 * i, word, true),
    );
    image.set(code, 0x20);
    const ram = freshRam();
    const state = boot(image, ram);
    expect(state.entry).toBe(0x100020);
    expect([...ram.subarray(0x100000, 0x100040)]).toEqual([...image]);
    expect(ram.subarray(0x100040, 0x100100).every((b) => b === 0)).toBe(true);
    expect(ram[0x100100]).toBe(0xaa);

    d.setUint32(20, 0x100080, true); // load_end_addr past the file's end
    d.setUint32(8, multibootChecksum(flags), true);
    expect(refusal(image)).toMatch(/truncated: the Multiboot header asks for file bytes up to 128 but the file has 64/);
  });
});

// An oracle nobody here wrote: gcc and ld lay the kernel out, readelf and nm say
// where everything should be.
const dir = mkdtempSync(join(tmpdir(), 'ringlab-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KERNEL_S = `
  .section .text
  .align 4
  .long 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)
  .globl _start
_start:
  mov $stack_top, %esp
  push %ebx
  push %eax
1: hlt
  jmp 1b
  .section .rodata
  .globl marker
marker: .ascii "RINGLAB!"
  .section .data
  .globl counter
counter: .long 0x12345678
  .section .bss
  .space 8192
stack_top:
`;

function gcc(out: string, extra: string[]): Uint8Array {
  writeFileSync(join(dir, 'kernel.S'), KERNEL_S);
  execFileSync('gcc', [
    '-m32', '-ffreestanding', '-nostdlib', '-static', '-Wl,-Ttext=0x100000', ...extra,
    join(dir, 'kernel.S'), '-o', join(dir, out),
  ], { stdio: 'pipe' });
  return readFileSync(join(dir, out));
}

describe('a kernel built by gcc -m32', needs('gcc'), () => {
  it('loads every segment where readelf says and starts where the ELF header says', () => {
    const file = gcc('kernel.elf', ['-Wl,--build-id=none']);
    const ram = freshRam();
    const state = boot(file, ram);

    const headers = execFileSync('readelf', ['-hlW', join(dir, 'kernel.elf')], { encoding: 'utf8' });
    const entry = Number(/Entry point address:\s+(0x[0-9a-f]+)/.exec(headers)?.[1]);
    expect(state.entry).toBe(entry);
    const loads = [...headers.matchAll(/^\s*LOAD\s+(0x\S+)\s+(0x\S+)\s+(0x\S+)\s+(0x\S+)\s+(0x\S+)/gm)];
    expect(loads.length).toBeGreaterThanOrEqual(2);
    for (const [, offset, , paddr, filesz, memsz] of loads.map((m) => m.map(Number) as [number, number, number, number, number, number])) {
      expect([...ram.subarray(paddr, paddr + filesz)]).toEqual([...file.subarray(offset, offset + filesz)]);
      expect(ram.subarray(paddr + filesz, paddr + memsz).every((b) => b === 0)).toBe(true);
    }

    const symbols = new Map(
      execFileSync('nm', [join(dir, 'kernel.elf')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => line.split(' '))
        .map(([addr, , name]) => [name, parseInt(addr!, 16)] as const),
    );
    expect(state.entry).toBe(symbols.get('_start'));
    const marker = symbols.get('marker') ?? -1;
    expect(new TextDecoder().decode(ram.subarray(marker, marker + 8))).toBe('RINGLAB!');
    expect(new DataView(ram.buffer).getUint32(symbols.get('counter') ?? -1, true)).toBe(0x12345678);
    expect(ram.subarray((symbols.get('stack_top') ?? 0) - 8192, symbols.get('stack_top')).every((b) => b === 0)).toBe(
      true,
    );
  });

  it("explains the build-id note that gcc's default link puts 128 MiB up", () => {
    const file = gcc('kernel-note.elf', ['-Wl,--build-id']);
    expect(refusal(file)).toMatch(
      /^kernel\.elf: segment \d \(\.note\.gnu\.build-id\) at physical 0x0804[0-9a-f]{4}-0x0804[0-9a-f]{4} lies outside RAM \(32 MiB ends at 0x02000000\); drop the note \(-Wl,--build-id=none/,
    );
  });
});
