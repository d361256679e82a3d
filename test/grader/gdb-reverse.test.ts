// Reverse debugging on the lab PC (issue 16), driven by Debian's real gdb in
// batch mode against lab 3's reference kernel: reverse-stepi puts registers
// and memory back exactly, reverse-continue stops at the write a watchpoint
// watches and at breakpoints, reverse-next retraces source lines, and a run
// that ended by a triple fault or a panic can be stepped back to the
// instruction that caused it.

import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { buildLab3, debugWithGdb } from './gdb-driver.ts';

/** gdb's output between `echo @NAME\n` markers, by name. */
function sections(output: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = output.split(/^@([\w-]+)$/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(parts[i]!, parts[i + 1]!);
  return out;
}

/** The values of gdb's `print $pc` lines, in order. */
function printedPcs(output: string): string[] {
  return [...output.matchAll(/^\$\d+ = \(void \(\*\)\(\)\) (0x[0-9a-f]+)/gm)].map((m) => m[1]!);
}

describe('reverse debugging with gdb on the lab PC', needs('gcc', 'bwrap', 'gdb'), () => {
  it('reverse-stepi puts back the registers and the memory a call changed', async () => {
    const { kernel, hello } = await buildLab3();
    // At kmain: SUB ESP, then a CALL that pushes its return address at 0x108fd4.
    const look = ['info registers', 'x/4xw 0x108fd0'];
    const s = await debugWithGdb(kernel, [hello], [
      'break kmain', 'continue', 'stepi',
      'echo @before\\n', ...look, 'echo @-\\n', 'stepi',
      'echo @after\\n', ...look, 'echo @-\\n', 'reverse-stepi',
      'echo @back\\n', ...look, 'echo @-\\n', 'kill',
    ]);
    const at = sections(s.gdb);
    expect(at.get('before')).toMatch(/eip\s+0x100023/);
    expect(at.get('before')).toMatch(/0x108fd0:\t0x00000000\t0x00000000\t/);
    expect(at.get('after')).toMatch(/0x108fd0:\t0x00000000\t0x00100028\t/);
    expect(at.get('back')).toEqual(at.get('before'));
  });

  it('reverse-continue stops at the write a watchpoint watches, then at a breakpoint, then at the start', async () => {
    const { kernel, hello } = await buildLab3();
    const s = await debugWithGdb(kernel, [hello], [
      'break kmain', 'continue', 'watch tss.esp0', 'continue',
      'break *0x08048000', 'continue', 'print $cs',
      'echo @reverse\\n', 'reverse-continue', 'print tss.esp0', 'x/i $pc',
      'echo @kmain\\n', 'reverse-continue',
      'echo @start\\n', 'reverse-continue', 'print $pc == _start',
      'echo @end\\n', 'kill',
    ]);
    const at = sections(s.gdb);
    // Forward: the kernel sets ESP0, and the program starts in ring 3.
    expect(s.gdb).toMatch(/Old value = 0\s+New value = (\d+)/);
    expect(s.gdb).toContain('$1 = 27\n');
    // Backward: stopped at the store that set ESP0, before it happened.
    const esp0 = /Old value = 0\s+New value = (\d+)/.exec(s.gdb)![1]!;
    expect(at.get('reverse')).toMatch(new RegExp(`Hardware watchpoint 2: tss.esp0\\s+Old value = ${esp0}\\s+New value = 0`));
    expect(at.get('reverse')).toMatch(/\$2 = 0\n=> 0x[0-9a-f]+ <run_user_programs\+\d+>:\tmov\s+%eax,0x[0-9a-f]+/);
    expect(at.get('kmain')).toContain('Breakpoint 1, kmain (');
    expect(at.get('start')).toContain('No more reverse-execution history.');
    expect(at.get('start')).toContain('$3 = 1\n');
  });

  it('rwatch stops after a read of the variable, and awatch going back stops at the instruction that read it', async () => {
    const { kernel, hello } = await buildLab3();
    const s = await debugWithGdb(kernel, [hello], [
      'print &bootinfo', 'rwatch bootinfo', 'continue', 'continue',
      'echo @back\\n', 'delete', 'awatch bootinfo', 'reverse-continue', 'x/i $pc', 'echo @-\\n', 'kill',
    ]);
    const variable = /\$1 = \((?:struct )?multiboot_info \*\*\) (0x[0-9a-f]+) <bootinfo>/.exec(s.gdb)?.[1];
    expect(variable).toBeDefined();
    expect(s.gdb.match(/Hardware read watchpoint 1: bootinfo\s+Value = \(struct multiboot_info \*\) 0x[0-9a-f]+/g)).toHaveLength(2);
    const back = sections(s.gdb).get('back');
    expect(back).toMatch(/Hardware access \(read\/write\) watchpoint 2: bootinfo\s+Value = /);
    expect(back).toMatch(new RegExp(`=> 0x[0-9a-f]+ <print_memory_map\\+\\d+>:\\tmov\\s+${variable},%eax`));
  });

  it('reverse-next retraces the source lines next went through', async () => {
    const { kernel, hello } = await buildLab3();
    const s = await debugWithGdb(kernel, [hello], [
      'break main.c:28', 'continue',
      'next', 'print $pc', 'next', 'print $pc', 'next', 'print $pc',
      'reverse-next', 'print $pc', 'reverse-next', 'print $pc', 'kill',
    ]);
    const [n1, n2, n3, back1, back2] = printedPcs(s.gdb);
    expect(n3).not.toBe(n2);
    expect(back1).toBe(n2);
    expect(back2).toBe(n1);
  });

  it('steps back from a triple fault to the instruction that caused it, and runs into it again', async () => {
    const { kernel, hello } = await buildLab3();
    // The debugger breaks the kernel: no kernel stack for the first trap from ring 3.
    const s = await debugWithGdb(kernel, [hello], [
      'break *0x08048000', 'continue', 'set var tss.esp0 = 0', 'delete', 'continue',
      'echo @back\\n', 'reverse-stepi', 'x/i $pc', 'print $cs', 'reverse-stepi', 'x/i $pc',
      'echo @again\\n', 'stepi', 'stepi', 'print $pc',
      'echo @end\\n', 'kill',
    ]);
    const at = sections(s.gdb);
    expect(s.gdb).toContain('Program received signal SIGSEGV');
    // The fault's instruction, in ring 3; one more step back, the one before it.
    expect(at.get('back')).toMatch(/=> (0x[0-9a-f]+):\tint\s+\$0x80\n\$1 = 27\n[\s\S]*=> 0x[0-9a-f]+:\tmov\s+\$0x3,%eax/);
    const faultAt = /=> (0x[0-9a-f]+):\tint\s+\$0x80/.exec(at.get('back')!)![1]!;
    // Forward again: the same fault at the same place (the run's end is run again, and said again).
    expect(at.get('again')).toContain('Program received signal SIGSEGV');
    expect(at.get('again')).toContain(`$2 = (void (*)()) ${faultAt}`);
    expect(s.gdb.match(/lab PC: triple-fault: /g)).toHaveLength(2);
    // The host was told of the end once: the second time was a replay.
    expect(s.labStderr.match(/triple fault: /g)).toHaveLength(1);
  });

  it('stops at a kernel panic with SIGABRT, and steps back to its HLT', async () => {
    const { kernel, hello } = await buildLab3();
    // EAX is the Multiboot magic at the first instruction: without it the kernel panics.
    const s = await debugWithGdb(kernel, [hello], [
      'set $eax = 0', 'continue', 'echo @back\\n', 'reverse-stepi', 'x/i $pc', 'echo @end\\n', 'kill',
    ]);
    expect(s.gdb).toContain('Program received signal SIGABRT');
    expect(s.gdb).toMatch(/lab PC: halt: HLT with interrupts disabled/);
    expect(sections(s.gdb).get('back')).toMatch(/=> 0x[0-9a-f]+ <panic\+\d+>:\thlt/);
    expect(s.labStdout).toContain('panic: not booted by a Multiboot loader');
  });
});
