// The "Debugging with gdb" sections of the handouts, run as written with
// Debian's gdb (issue 16: each works as written). Lab 3's is the README's
// (gdb.test.ts) and lab 5's is gdb-grade.test.ts.
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { debugLabWithGdb } from './gdb-driver.ts';

describe("the handouts' gdb sessions, as written", needs('gcc', 'bwrap', 'gdb'), () => {
  it('lab 1: break kmain, next, monitor gdt', async () => {
    const s = await debugLabWithGdb(['run', '1', '--test', 'boot/prints its banner'], ['break kmain', 'continue', 'next', 'monitor gdt', 'kill']);
    expect(s.gdb).toMatch(/Breakpoint 1, kmain \(/);
    expect(s.gdb).toMatch(/serial_init \(\)/);
    expect(s.gdb).toContain('the GDT has no present descriptor');
  }, 120_000);

  it("lab 2: break trap, the trap frame from trap's argument, monitor idt", async () => {
    const s = await debugLabWithGdb(['run', '2', '--test', 'exceptions/divide'], [
      'break trap', 'continue', 'print *(struct trapframe *) *(unsigned *)($esp + 4)', 'monitor idt', 'kill',
    ]);
    expect(s.gdb).toMatch(/Breakpoint 1, trap \(/);
    // #DE: vector 0 from ring 0.
    expect(s.gdb).toMatch(/\$1 = \{edi = .*trapno = 0, err = 0, eip = \d+, cs = 8,/);
    expect(s.gdb).toMatch(/^00 interrupt dpl 0 0008:[0-9a-f]{8}$/m);
  }, 120_000);

  it('lab 4: break proc_fork, monitor regs, monitor pagewalk of the kernel and of a program', async () => {
    const s = await debugLabWithGdb(['run', '4', '--test', 'fork/fork'], [
      'break proc_fork', 'continue', 'monitor regs', 'monitor pagewalk c0100000', 'monitor pagewalk 08048000', 'kill',
    ]);
    expect(s.gdb).toMatch(/Breakpoint 1, proc_fork \(tf=0x[0-9a-f]+/);
    expect(s.gdb).toMatch(/cr0 8001[0-9a-f]{4} cr2 [0-9a-f]{8} cr3 [0-9a-f]{8} cr4 [0-9a-f]{8} cpl 0/);
    expect(s.gdb).toContain('ring 3 read of 0xc0100000: page fault, the page is supervisor-only (U/S = 0)');
    expect(s.gdb).toMatch(/ring 3 fetch of 0x08048000: allowed, physical 0x[0-9a-f]+ \(user, read-only\)/);
  }, 120_000);

  it('lab 6: break sysenter_syscall, the frame the entry built, reverse-stepi back into the vDSO', async () => {
    const s = await debugLabWithGdb(['grade', '6', '--test', 'fastpath/hello'], [
      'break sysenter_syscall', 'continue', 'print *tf', 'monitor regs', 'reverse-stepi 20', 'print/x $eip', 'kill',
    ]);
    expect(s.gdb).toMatch(/Breakpoint 1, sysenter_syscall \(tf=0x[0-9a-f]+\)/);
    // The frame INT 0x80 would have pushed: the system-call vector, user CS and SS, IF set.
    expect(s.gdb).toMatch(/\$1 = \{.*trapno = 128, err = 0, eip = \d+, cs = 27, pad5 = 0, eflags = \d+, esp = \d+, ss = 35/);
    // Back before the SYSENTER, in the vDSO's page.
    expect(s.gdb).toMatch(/\$2 = 0xbffbf00[0-4]\n/);
  }, 120_000);
});
