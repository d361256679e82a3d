// `lab grade N --test ID --gdb` (issue 16): one test's run under Debian's
// real gdb, as lab 5's handout shows it: a breakpoint on swtch, the TSS, and
// a watchpoint on curproc that reverse-continue walks back through.
import { describe, expect, it } from 'vitest';
import { needs } from '../host-tools.ts';
import { debugLabWithGdb } from './gdb-driver.ts';
import { runLab } from '../lab-cli.ts';

describe('lab grade --gdb', needs('gcc', 'bwrap', 'gdb'), () => {
  it("runs the one test named under gdb, the same run lab grade judges, as lab 5's handout says", async () => {
    const s = await debugLabWithGdb(['grade', '5', '--test', 'preemption/three'], [
      'break swtch',
      'continue',
      'print curproc->pid',
      'monitor tss',
      'delete',
      'watch curproc',
      'continue',
      'continue',
      'reverse-continue',
      'kill',
    ]);
    expect(s.gdb).toMatch(/Breakpoint 1, .*swtch/);
    // The scheduler's first switch is to pid 1.
    expect(s.gdb).toContain('$1 = 1\n');
    expect(s.gdb).toMatch(/tss: selector 0028 .* ss0 0010 esp0 [0-9a-f]{8}/);
    // curproc goes to NULL when pid 1 gives the CPU back, then to the next process; reverse-continue finds the write before.
    expect(s.gdb).toMatch(/Hardware watchpoint 2: curproc\s+Old value = \(struct proc \*\) 0x[0-9a-f]+ <procs>\s+New value = \(struct proc \*\) 0x0/);
    expect(s.gdb.match(/Hardware watchpoint 2: curproc/g)?.length).toBeGreaterThanOrEqual(3);
    expect(s.labStderr).toContain('lab grade 5 --test preemption/three (without --gdb) gives its verdict');
  }, 180_000);

  it('refuses --gdb without exactly one --test, in one line', () => {
    const r = runLab(['grade', '5', '--gdb']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('lab: --gdb debugs one test: give exactly one --test naming it, as in lab grade 5 --test ID --gdb (lab grade 5 lists the ids under failed tests)');
  });
});
