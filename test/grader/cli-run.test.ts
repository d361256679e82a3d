import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../../grader/cli/run-command.ts';
import { needs } from '../host-tools.ts';
import { LAB_CLI, runLab, type LabProcess } from '../lab-cli.ts';

const haveMachine = existsSync(fileURLToPath(new URL('../../engine/machine.ts', import.meta.url)));

const dir = mkdtempSync(join(tmpdir(), 'ringlab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lab(...args: string[]): LabProcess {
  return labWithin(60_000, ...args);
}

/** For input that could hang the command: give up sooner than the suite would. Guest output is kept byte for byte. */
function labWithin(timeoutMs: number, ...args: string[]): LabProcess {
  return runLab(args, { cwd: dir, timeoutMs, stdoutEncoding: 'latin1' });
}

function bytes(output: string): number[] {
  return [...Buffer.from(output, 'latin1')];
}

/** The contract for anything that goes wrong: one line on stderr, starting with "lab: ", no stack trace. */
function oneLine(run: LabProcess): string {
  expect(run.stderr).toMatch(/^lab: [^\n]*\n$/);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return run.stderr.trimEnd();
}

function file(name: string, contents: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

/** A Multiboot kernel from a few lines of assembly; `body` runs with EBX = multiboot_info. */
function kernel(name: string, body: string): string {
  const source = file(`${name}.S`, `
  .text
  .align 4
  .long 0x1BADB002, 3, -(0x1BADB002 + 3)
  .globl _start
_start:
${body}
`);
  const out = join(dir, `${name}.elf`);
  execFileSync('gcc', [
    '-m32', '-ffreestanding', '-nostdlib', '-static', '-Wl,-Ttext=0x100000', '-Wl,--build-id=none', source, '-o', out,
  ], { stdio: 'pipe' });
  return out;
}

const EXIT = (v: number) => `  mov $${v}, %al\n  out %al, $0xf4\n  cli\n  hlt\n`;

describe('lab run refuses bad input with one line and status 2', () => {
  it('a kernel file that does not exist', () => {
    const run = lab('run', '--kernel', 'nope.elf');
    expect(run.status).toBe(2);
    expect(oneLine(run)).toBe('lab: cannot read kernel file nope.elf: no such file');
  });

  it('a kernel path that is a directory', () => {
    const run = lab('run', '--kernel', dir);
    expect(run.status).toBe(2);
    expect(oneLine(run)).toBe(`lab: cannot read kernel file ${dir}: it is a directory; give --kernel a file`);
  });

  // Were they read, /dev/zero would never end and a FIFO with no writer never start.
  it('a device or a FIFO for --kernel, --module or --serial-input, before reading it', () => {
    const k = file('any.elf', 'x');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const cases: [string[], string][] = [
      [['--kernel', '/dev/zero'], 'kernel file /dev/zero: it is a character device'],
      [['--kernel', fifo], `kernel file ${fifo}: it is a FIFO (named pipe)`],
      [['--kernel', k, '--module', '/dev/zero arg'], 'module file /dev/zero: it is a character device'],
      [['--kernel', k, '--serial-input', fifo], `serial input file ${fifo}: it is a FIFO (named pipe)`],
    ];
    for (const [args, what] of cases) {
      const run = labWithin(10_000, 'run', ...args);
      expect(run.status).toBe(2);
      const option = args.at(-2)!;
      expect(oneLine(run)).toBe(
        `lab: cannot read ${what}, not a regular file; give ${option} a regular file (save a stream to a file first)`,
      );
    }
  });

  it('a module or serial input that is a directory', () => {
    const k = file('any.elf', 'x');
    const module = lab('run', '--kernel', k, '--module', `${dir} arg`);
    expect(module.status).toBe(2);
    expect(oneLine(module)).toBe(`lab: cannot read module file ${dir}: it is a directory; give --module a file`);
    const input = lab('run', '--kernel', k, '--serial-input', dir);
    expect(input.status).toBe(2);
    expect(oneLine(input)).toBe(`lab: cannot read serial input file ${dir}: it is a directory; give --serial-input a file`);
  });

  it('a kernel, module or serial input larger than the machine\'s RAM, without reading it', () => {
    const k = file('any.elf', 'x');
    // Sparse: 4 GiB on paper, nothing on disk; reading it would take that much memory.
    const huge = file('huge.elf', '');
    truncateSync(huge, 4 * 1024 ** 3);
    const kernelRun = labWithin(10_000, 'run', '--kernel', huge, '--ram', '2');
    expect(kernelRun.status).toBe(2);
    expect(oneLine(kernelRun)).toBe(
      `lab: cannot load kernel file ${huge}: it is 4294967296 bytes, more than the machine's 2 MiB of RAM; ` +
        'the lab PC has at most 3072 MiB, give a smaller file',
    );
    const big = file('big.bin', '');
    truncateSync(big, 3 * 1024 ** 2 + 1);
    const moduleRun = labWithin(10_000, 'run', '--kernel', k, '--ram', '2', '--module', 'big.bin');
    expect(moduleRun.status).toBe(2);
    expect(oneLine(moduleRun)).toBe(
      "lab: cannot load module file big.bin: it is 3145729 bytes, more than the machine's 2 MiB of RAM; run with --ram 4 or more",
    );
    const inputRun = labWithin(10_000, 'run', '--kernel', k, '--ram', '3', '--serial-input', huge);
    expect(inputRun.status).toBe(2);
    expect(oneLine(inputRun)).toMatch(/^lab: cannot load serial input file .*huge\.elf: it is 4294967296 bytes, more than the machine's 3 MiB of RAM;/);
  });

  it('no --kernel at all, or an option it does not know', () => {
    const missing = lab('run');
    expect(missing.status).toBe(2);
    expect(oneLine(missing)).toBe('lab: give --kernel FILE, or a lab and --test to replay one of its tests (lab run 3 --test faults/cli)');
    const unknown = lab('run', '--kernel', 'k.elf', '--colour');
    expect(unknown.status).toBe(2);
    expect(oneLine(unknown)).toMatch(/^lab: unknown option '--colour'/);
  });

  it('a module file that does not exist, named by its first word', () => {
    const k = file('any.elf', 'x');
    const run = lab('run', '--kernel', k, '--module', 'prog1 arg1 arg2');
    expect(run.status).toBe(2);
    expect(oneLine(run)).toBe('lab: cannot read module file prog1: no such file');
  });

  it('a bad --ram, --max-instructions or --max-output', () => {
    const k = file('any.elf', 'x');
    for (const ram of ['0', '3073', 'lots', '12.5', '0x20']) {
      const run = lab('run', '--kernel', k, '--ram', ram);
      expect(run.status).toBe(2);
      expect(oneLine(run)).toBe(`lab: --ram must be a number of MiB from 2 to 3072, not '${ram}'`);
    }
    for (const n of ['-5', '0', '1.5', 'forever']) {
      const run = lab('run', '--kernel', k, `--max-instructions=${n}`);
      expect(run.status).toBe(2);
      expect(oneLine(run)).toBe(`lab: --max-instructions must be a count at least 1, not '${n}'`);
    }
    for (const n of ['0', '-1', 'all', '64k']) {
      const run = lab('run', '--kernel', k, `--max-output=${n}`);
      expect(run.status).toBe(2);
      expect(oneLine(run)).toBe(`lab: --max-output must be a number of bytes at least 1, not '${n}'`);
    }
  });

  it.skipIf(!haveMachine)('a kernel that is not an ELF file, with the loader\'s message', () => {
    const k = file('kernel.c', 'int main(void) { return 0; }\n');
    const run = lab('run', '--kernel', k);
    expect(run.status).toBe(2);
    expect(oneLine(run)).toMatch(/^lab: .*kernel\.c: not an ELF file \(it starts with 69 6e 74 20/);
  });

  it('shows the options, the default budget and the exit statuses in --help', () => {
    const run = lab('run', '--help');
    expect(run.status).toBe(0);
    const help = run.stdout;
    for (const option of ['--kernel', '--module', '--cmdline', '--ram', '--max-instructions', '--max-output', '--serial-input', '--stats']) {
      expect(help).toContain(option);
    }
    expect(help).toContain('2000000000');
    expect(help).toMatch(/124\s+the instruction budget ran out/);
    expect(help).toMatch(/125\s+the guest wrote more output than allowed/);
    expect(help).toContain(`default: ${DEFAULT_MAX_OUTPUT_BYTES}`);
  });

  it('limits output as grading does: the largest maxOutputBytes a lab gives its tests', () => {
    const labs = fileURLToPath(new URL('../../labs/', import.meta.url));
    const limits = readdirSync(labs)
      .filter((name) => existsSync(join(labs, name, 'lab.json')))
      .map((name) => (JSON.parse(readFileSync(join(labs, name, 'lab.json'), 'utf8')) as { maxOutputBytes: number }).maxOutputBytes);
    expect(limits.length).toBeGreaterThan(0);
    expect(DEFAULT_MAX_OUTPUT_BYTES).toBe(Math.max(...limits));
  });
});

describe.skipIf(!haveMachine)('lab run on a kernel (needs engine/machine.ts)', needs('gcc'), () => {
  it('passes COM1 and 0xE9 bytes through unchanged and exits with the debug-exit status', () => {
    // 'A' to COM1, then every byte 0..255 to 0xE9, then 'Z' to COM1; exit (3 << 1) | 1.
    const k = kernel('bytes', `
  mov $0x3f8, %dx
  mov $'A', %al
  out %al, %dx
  xor %ecx, %ecx
1: mov %cl, %al
  out %al, $0xe9
  inc %ecx
  cmp $256, %ecx
  jne 1b
  mov $'Z', %al
  out %al, %dx
${EXIT(3)}`);
    const run = lab('run', '--kernel', k);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(7);
    expect(bytes(run.stdout)).toEqual([0x41, ...Array.from({ length: 256 }, (_, i) => i), 0x5a]);
  });

  it('gets every byte of a large output through a pipe before exiting', () => {
    const k = kernel('flood', `
  mov $200000, %ecx
  mov $'x', %al
1: out %al, $0xe9
  loop 1b
${EXIT(0)}`);
    const run = lab('run', '--kernel', k, '--max-output', '1_000_000');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1);
    expect(run.stdout.length).toBe(200000);
  });

  it('stops a kernel that prints forever: exit 125, one line, exactly the allowed output', () => {
    const k = kernel('forever', `
  mov $'x', %al
1: out %al, $0xe9
  jmp 1b`);
    const byDefault = labWithin(20_000, 'run', '--kernel', k);
    expect(byDefault.status).toBe(125);
    expect(byDefault.stdout.length).toBe(DEFAULT_MAX_OUTPUT_BYTES);
    expect(oneLine(byDefault)).toMatch(/^lab: output limit of 65536 bytes reached at .*; to allow more, raise --max-output$/);
    const chosen = labWithin(20_000, 'run', '--kernel', k, '--max-output', '1000');
    expect(chosen.status).toBe(125);
    expect(chosen.stdout.length).toBe(1000);
    expect(oneLine(chosen)).toMatch(/^lab: output limit of 1000 bytes reached at /);
  });

  it('stops a kernel that loops forever by default: exit 124 after the default budget', () => {
    const run = labWithin(30_000, 'run', '--kernel', kernel('loop', '1: jmp 1b\n'));
    expect(run.status).toBe(124);
    expect(oneLine(run)).toMatch(/^lab: instruction budget of 2000000000 exhausted at .*; to allow more, raise --max-instructions$/);
  });

  /** Prints the kernel cmdline, then module 1's string, to COM1. Multiboot leaves ESP undefined, so it brings its own stack. */
  const argsKernel = () => kernel('args', `
  mov $stack_top, %esp
  mov 16(%ebx), %esi
  call puts
  mov 24(%ebx), %esi
  mov 24(%esi), %esi
  call puts
${EXIT(0)}
puts:
  mov $0x3f8, %dx
1: lodsb
  test %al, %al
  jz 2f
  out %al, %dx
  jmp 1b
2: mov $'|', %al
  out %al, %dx
  ret
  .bss
  .space 1024
stack_top:`);

  it('gives the kernel its command line and each module its name and arguments', () => {
    const k = argsKernel();
    file('prog1', 'one');
    file('prog2', 'two');
    const run = lab('run', '--kernel', k, '--cmdline', 'quiet x=1', '--module', 'prog1', '--module', 'prog2 a  b');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('quiet x=1|prog2 a  b|');
  });

  it('names a module after its file without directory and .elf, as the grader names a program', () => {
    const k = argsKernel();
    mkdirSync(join(dir, 'programs'), { recursive: true });
    file('programs/one.elf', 'one');
    file('programs/two.elf', 'two');
    const run = lab('run', '--kernel', k, '--module', 'programs/one.elf', '--module', `${join(dir, 'programs/two.elf')} x  y `);
    expect(run.stderr).toBe('');
    // "two x  y ": the grader's `${program} ${args}`, the arguments kept as given.
    expect(run.stdout).toBe('|two x  y |');
  });

  it('feeds --serial-input to COM1', () => {
    // Echo received bytes to 0xE9 until the receive buffer is empty (LSR bit 0 clear).
    const k = kernel('echo', `
1: mov $0x3fd, %dx
  in %dx, %al
  test $1, %al
  jz 2f
  mov $0x3f8, %dx
  in %dx, %al
  out %al, $0xe9
  jmp 1b
2:
${EXIT(0)}`);
    const input = file('input.bin', Uint8Array.from([0x68, 0x69, 0x00, 0xff, 0x0a]));
    const run = lab('run', '--kernel', k, '--serial-input', input);
    expect(run.status).toBe(1);
    expect(bytes(run.stdout)).toEqual([0x68, 0x69, 0x00, 0xff, 0x0a]);
  });

  it('exits 0 on HLT with interrupts off', () => {
    const run = lab('run', '--kernel', kernel('halt', '  cli\n  hlt\n'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('exits 124 with one line when the budget runs out, and reports --stats', () => {
    const k = kernel('spin', '1: jmp 1b\n');
    const run = lab('run', '--kernel', k, '--max-instructions', '10_000', '--stats');
    expect(run.status).toBe(124);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.some((l) => /^lab: .*budget/.test(l))).toBe(true);
    expect(lines).toContainEqual(expect.stringMatching(/^lab: 10000 instructions retired in \d+\.\d{3} s of host time \(\d+\.\d MIPS\)$/));
    // Each JMP is a taken branch: two cycles on the cycle model, all in ring 0 with paging off (CR3 0).
    expect(lines.slice(1, 4)).toEqual([
      "lab: 20000 cycles on the lab PC's cycle model (2.00 per instruction)",
      'lab: ring 0: 10000 instructions, 20000 cycles',
      'lab: CR3 00000000: 10000 instructions, 20000 cycles',
    ]);
  });

  it('exits 126 with one line when the guest faults with nowhere to go', () => {
    // An empty IDT: the breakpoint cannot be delivered, which on hardware ends in a triple fault.
    const k = kernel('fault', `
  lidt idtr
  int3
idtr: .word 0
  .long 0`);
    const run = lab('run', '--kernel', k);
    expect(run.status).toBe(126);
    // The chain of exceptions, and the instructions that led there (found by replaying the run with a trace).
    expect(oneLine(run)).toMatch(/^lab: triple fault: #GP .*IDT entry 3 .*; last instructions: \[ring 0\] [0-9a-f]{8} lidt .* \| \[ring 0\] [0-9a-f]{8} int3$/);
  });

  it('--trace prints the exception chain of a triple fault, and insn the instructions before it', () => {
    const k = kernel('trace', `
  lidt idtr
  mov $0x2a, %eax
  int3
idtr: .word 0x7ff
  .long 0x200000`);
    const run = lab('run', '--kernel', k, '--trace=insn');
    expect(run.status).toBe(126);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\[ +\d+\] LIDT base=00200000 limit=07ff$/);
    expect(lines[1]).toMatch(/^\[ +\d+\] end: triple-fault: .*#GP general protection \(error code 001a\) \[delivering #BP breakpoint: IDT entry 3 is not an interrupt, trap or task gate/);
    expect(lines).toContainEqual(expect.stringMatching(/^\[ +2\] ring 0 00100018  int3$/));
    expect(lines.at(-1)).toMatch(/^lab: triple fault: /);
  });

  it('--trace waits for a reader that does not keep up, instead of queueing the trace in memory', async () => {
    // #UD whose handler is a UD2: one trace line per delivery, for ever.
    const storm = kernel('ud-storm', `
  lgdt gdtr
  ljmp $0x08, $1f
1:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %ss
  mov $0x08, %ax
  movl $handler, %edx
  movw %dx, idt + 6 * 8
  movw %ax, idt + 6 * 8 + 2
  movw $0x8e00, idt + 6 * 8 + 4
  shr $16, %edx
  movw %dx, idt + 6 * 8 + 6
  lidt idtr
  mov $0x80000, %esp
handler:
  ud2
  .data
  .align 8
idt: .fill 7 * 8, 1, 0
idtr: .word 7 * 8 - 1
  .long idt
gdt: .quad 0, 0x00cf9a000000ffff, 0x00cf92000000ffff
gdtr: .word 3 * 8 - 1
  .long gdt
`);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [LAB_CLI, 'run', '--kernel', storm, '--trace'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      // Nobody reads stderr: the pipe fills at once, and the machine must wait for it.
      child.stderr.pause();
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
      expect(rssKiB).toBeGreaterThan(0);
      expect(rssKiB).toBeLessThan(200 * 1024);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--trace refuses kinds it does not know', () => {
    const run = lab('run', '--kernel', kernel('any', '  hlt\n'), '--trace=everything');
    expect(run.status).toBe(2);
    expect(oneLine(run)).toBe("lab: --trace takes events, io, insn (comma-separated), not 'everything'");
  });

  it('refuses a kernel whose modules do not fit in --ram', () => {
    file('big', new Uint8Array(3 * 1024 * 1024));
    const run = lab('run', '--kernel', kernel('tiny', '  hlt\n'), '--ram', '3', '--module', 'big');
    expect(run.status).toBe(2);
    expect(oneLine(run)).toMatch(/^lab: not enough RAM for the modules: .* need 5 MiB of RAM, the machine has 3 MiB; run with --ram 5 or more$/);
  });
});
