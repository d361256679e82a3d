// The diagnosis of a failed test, the in-order serial message and the hints
// of the labs' checks, on hand-made runs: each case is one event stream and
// one output, so the rule it pins down is plain to see. (Real kernels: the
// mutants in test/labs/mutant-diagnosis.test.ts.)
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../engine/config.ts';
import type { EngineEvent, InterruptEvent } from '../../engine/events.ts';
import type { MachineView } from '../../engine/inspect/machine-view.ts';
import { noPanic, processKilled, serialInOrder, check } from '../../grader/api/checks.ts';
import { checkHeadline, diagnose, tripleFaultHeadline } from '../../grader/scoring/diagnosis.ts';
import type { CheckResult } from '../../grader/model.ts';
import { defineTest, type Check, type TestRun } from '../../grader/api/spec.ts';
import { timerOnVector0x20, trapReported } from '../../labs/02-interrupts/tests/lib/interrupts.ts';
import { killReported, neverPrinted } from '../../labs/03-usermode/tests/lib/usermode.ts';

interface FakeRun {
  serial?: string;
  events?: EngineEvent[];
  result?: Partial<RunResult>;
  checks?: Check[];
  /** Master and slave PIC: in-service and mask bits, vector bases. */
  pic?: { isr?: number; imr?: number; base?: number };
  eflags?: number;
}

/** A finished run as checks and the diagnosis see it, without a machine behind it. */
function fakeRun(f: FakeRun): TestRun {
  const serial = f.serial ?? '';
  const result: RunResult = { reason: 'debug-exit', message: 'guest exited', instructions: 50_000, budgetUsed: 50_000, ...f.result };
  const chip = (base: number, isr = 0, imr = 0) => ({ irr: 0, isr, imr, base });
  const inspect = {
    pic: () => ({ master: chip(f.pic?.base ?? 0x20, f.pic?.isr, f.pic?.imr), slave: chip((f.pic?.base ?? 0x20) + 8) }),
    registers: () => ({ cs: 8, eip: 0x100100, cpl: 0, eflags: f.eflags ?? 0x2 }),
  } as unknown as MachineView;
  return {
    spec: defineTest({ name: 't', points: 1, checks: f.checks ?? [check('always', () => false)] }),
    result, serial, serialTruncated: false, events: f.events ?? [], eventsDropped: 0, directoryLoads: [], inspect,
    locate: (e) => (e.type === 'interrupt' ? { icount: e.icount, cs: e.fromCs, eip: e.fromEip } : undefined),
    endLocation: () => ({ icount: result.instructions, cs: 8, eip: 0x100100, instruction: 'jmp 0x00100100' }),
    // All output came in one burst at instruction 40000.
    serialIcount: () => 40_000,
    instructionAt: () => 'mov (%eax),%ebx',
  };
}

function interrupt(icount: number, e: Partial<InterruptEvent>): InterruptEvent {
  return {
    type: 'interrupt', icount, cycles: icount, vector: 14, kind: 'exception', errorCode: -1, fromCpl: 0, toCpl: 0,
    fromCs: 8, fromEip: 0x100200, toCs: 8, toEip: 0x100800, gate: 'interrupt', frameAt: 0x10ff00, frameBytes: 12, ...e,
  };
}

const IRET_TO_RING3: EngineEvent = { type: 'iret', icount: 30_000, cycles: 30_000, fromCpl: 0, toCpl: 3, toCs: 0x1b, toEip: 0x08048000, eflags: 0x202 };

function evaluate(c: Check, run: TestRun): CheckResult {
  const o = c.evaluate(run);
  return { name: c.name, passed: o.passed, ...(o.expected !== undefined ? { expected: o.expected } : {}), ...(o.observed !== undefined ? { observed: o.observed } : {}) };
}

describe('serial output in order: the first missing item and what stood in its place', () => {
  const items = ['exec pid 1: hello entry 0x08048000\n', 'hello: pid 1 in ring 3, a line long enough that a quote of eighty characters would cut it\n', 'exit pid 1: status 0\n'];

  it('shows the missing item in full and the whole line printed in its place', () => {
    const run = fakeRun({ serial: 'boot\nexec pid 1: hello entry 0x08048000\nexit pid 1: status 0\nall done\n' });
    const r = evaluate(serialInOrder(items), run);
    expect(r.expected).toBe(`${JSON.stringify(items[1])} after ${JSON.stringify(items[0])} (item 2 of 3)`);
    expect(r.observed).toBe(`${JSON.stringify(items[1])} never appears; after ${JSON.stringify(items[0])} the output has "exit pid 1: status 0\\n"`);
    // Nothing of the test's own text is cut, in the check's name either.
    expect(r.name).toContain(JSON.stringify(items[1]));
  });

  it('says when the output ends where the item should be, and quotes as many lines as a pattern spans', () => {
    const ends = evaluate(serialInOrder(items), fakeRun({ serial: 'exec pid 1: hello entry 0x08048000\n', result: { reason: 'triple-fault' } }));
    expect(ends.observed).toMatch(/the output has nothing more: the output ends there \(the run ended by triple-fault\)$/);
    const spans = evaluate(serialInOrder(['cli: pid 1 will ', /\nkilled pid 1: /]), fakeRun({ serial: 'cli: pid 1 will execute CLI\ncli: survived\nexit pid 1\n' }));
    expect(spans.observed).toBe('/\\nkilled pid 1: / never appears; after "cli: pid 1 will " the output has "execute CLI\\ncli: survived\\n"');
  });

  it('cuts an endless guest line where it stands in, and says it did', () => {
    const flood = 'x'.repeat(5000);
    const r = evaluate(serialInOrder(['a\n', 'b\n']), fakeRun({ serial: `a\n${flood}\n` }));
    expect(r.observed).toContain('… (5001 chars)');
    expect(r.observed!.length).toBeLessThan(400);
  });
});

describe('hints agree with the events', () => {
  it('a process that entered ring 3 and never faulted there is not asked whether it reached ring 3', () => {
    // ESP0 unset: the IRET into ring 3 happened, then the first system call triple-faulted (no exception event).
    const run = fakeRun({ serial: 'exec pid 1: cli entry 0x08048000\n', events: [IRET_TO_RING3], result: { reason: 'triple-fault', message: 'triple fault: ...' } });
    const r = evaluate(killReported({ pid: 1, vector: 13, errorCode: 0 }), run);
    expect(r.observed).not.toMatch(/reach ring 3 at all/);
    expect(r.observed).toBe('no exception was raised in ring 3; the CPU entered ring 3 at instruction 30000 (iret to 0x001b:0x08048000), and the run ended by triple-fault');
    const never = evaluate(killReported({ pid: 1, vector: 13 }), fakeRun({}));
    expect(never.observed).toMatch(/the CPU never entered ring 3 \(no IRET, SYSEXIT or far return to it\)/);
  });

  it('"survived" is blamed on resuming only when an exception came before it', () => {
    const noFault = evaluate(neverPrinted('kread: survived'), fakeRun({ serial: 'kread: survived\n', events: [IRET_TO_RING3] }));
    expect(noFault.observed).toMatch(/no exception was raised in ring 3 before: the instruction that should fault did not$/);
    const fault = interrupt(35_000, { vector: 13, fromCpl: 3, fromCs: 0x1b, fromEip: 0x0804802e, errorCode: 0 });
    const resumed = evaluate(neverPrinted('cli: survived'), fakeRun({ serial: 'cli: survived\n', events: [IRET_TO_RING3, fault] }));
    expect(resumed.observed).toMatch(/the kernel resumed it after its exception \(vector 13 at 0x001b:0x0804802e, instruction 35000\)$/);
  });

  it('lab 2: no missing-EOI or IDT hint unless the PIC and the events say so', () => {
    const tick = interrupt(14_000, { kind: 'external', vector: 0x20 });
    expect(evaluate(timerOnVector0x20(5), fakeRun({ events: [tick], pic: { isr: 1 } })).observed).toBe('1: IRQ 0 is still in service at the PIC at the end, so no EOI was sent for the last one');
    expect(evaluate(timerOnVector0x20(5), fakeRun({ events: [tick], pic: { imr: 1 } })).observed).toBe('1: IRQ 0 is masked at the PIC at the end');
    expect(evaluate(timerOnVector0x20(5), fakeRun({ events: [tick] })).observed).toBe('1');
    const lidt: EngineEvent = { type: 'table-load', icount: 12_000, cycles: 12_000, table: 'idt', base: 0x1000, limit: 0x7ff };
    expect(evaluate(trapReported({ vector: 0 }), fakeRun({ events: [lidt], result: { reason: 'halt' } })).observed).toBe('no exception was delivered; the run ended by halt');
    expect(evaluate(trapReported({ vector: 0 }), fakeRun({})).observed).toMatch(/no IDT was ever loaded with LIDT/);
  });
});

describe('diagnose: the decisive evidence, not the first failed check', () => {
  const failedCheck: CheckResult = { name: 'serial output contains, in order: ...', passed: false, expected: '"hello\\n" (item 1 of 1)', observed: '"hello\\n" never appears; no serial output at all' };

  it('tells a triple fault as what could not be delivered, the cause once when it is the same', () => {
    const message = 'triple fault: #PF page fault (error code 0002) [delivering vector 128: pushing the interrupt frame on the ring-0 stack from the TSS (ESP0 = 0x00000000) faulted: page directory entry 1023 is not present] at 001b:0804807b int $0x80; '
      + 'delivering it raised #PF page fault (error code 0002) [delivering #PF page fault: pushing the interrupt frame on the ring-0 stack from the TSS (ESP0 = 0x00000000) faulted: page directory entry 1023 is not present]; '
      + 'delivering it raised #PF page fault (error code 0002) [delivering #DF double fault: pushing the interrupt frame on the ring-0 stack from the TSS (ESP0 = 0x00000000) faulted: page directory entry 1023 is not present]; last instructions: [ring 3] 0804807b int $0x80';
    const d = diagnose(fakeRun({ events: [IRET_TO_RING3], result: { reason: 'triple-fault', message } }), [failedCheck]);
    expect(d.headline).toBe('triple fault at 001b:0804807b int $0x80 (ring 3): delivering vector 128, then #PF page fault, then #DF double fault failed each time: pushing the interrupt frame on the ring-0 stack from the TSS (ESP0 = 0x00000000) faulted: page directory entry 1023 is not present');
    expect(d.events).toEqual(['[      30000] iret ring 0 -> ring 3 to 001b:08048000']);
    expect(tripleFaultHeadline('triple fault: #GP general protection (error code 0000) [a reason] at 0008:00100010 mov %ax,%ds; delivering it raised #NP segment not present [delivering #GP general protection: IDT entry 13 is not present]; delivering it raised #NP segment not present [delivering #DF double fault: IDT entry 8 is not present]'))
      .toBe('triple fault at 0008:00100010 mov %ax,%ds (ring 0): #GP general protection (a reason), then delivering #GP general protection failed: IDT entry 13 is not present; delivering #DF double fault failed: IDT entry 8 is not present');
  });

  it('names a ring-0 exception with its CPU reason, the system call it served and the panic that followed', () => {
    const syscall = interrupt(26_000, { kind: 'software', vector: 0x80, fromCpl: 3, fromCs: 0x1b, fromEip: 0x08048103 });
    const pf = interrupt(27_146, { vector: 14, errorCode: 0, cr2: 0x07fffff8, fromEip: 0x001024d0, detail: 'page directory entry 31 is not present' });
    const run = fakeRun({ serial: 'trap 14\npanic: #PF page fault in the kernel\n', events: [IRET_TO_RING3, syscall, pf], checks: [noPanic()] });
    run.serialIcount = () => 27_210;
    const d = diagnose(run, [failedCheck]);
    expect(d.headline).toBe('the kernel took #PF page fault in ring 0 at 0008:001024d0 (mov (%eax),%ebx), error code 0x0000, CR2 0x07fffff8: page directory entry 31 is not present, while handling a system call (INT 0x80) from ring 3 at 001b:08048103; then the kernel printed "panic: #PF page fault in the kernel"');
    expect(d.events.at(-1)).toBe('[      27210] com1 output "panic: #PF page fault in the kernel"');
    expect(d.where).toMatchObject({ icount: 27_146, eip: 0x001024d0 });
    // A test that does not forbid panics (lab 2 raises exceptions in ring 0 on purpose) leaves them to its checks.
    expect(diagnose(fakeRun({ events: [pf] }), [failedCheck]).headline).toBe(checkHeadline(failedCheck));
  });

  it('an exception a program raises on purpose is not the cause; one it was not meant to raise is', () => {
    const gp = interrupt(31_000, { vector: 13, errorCode: 0x402, fromCpl: 3, fromCs: 0x1b, fromEip: 0x0804807b, detail: 'delivering vector 128: INT 128 from CPL 3 through a gate with DPL 0' });
    const unexpected = diagnose(fakeRun({ events: [IRET_TO_RING3, gp] }), [failedCheck]);
    expect(unexpected.headline).toBe('a program raised #GP general protection in ring 3 at 001b:0804807b, error code 0x0402: delivering vector 128: INT 128 from CPL 3 through a gate with DPL 0');
    const provoked = diagnose(fakeRun({ events: [IRET_TO_RING3, gp], checks: [processKilled({ vector: 13 })] }), [failedCheck]);
    expect(provoked.headline).toBe(checkHeadline(failedCheck));
  });

  it('a fault the kernel handles and resumes (stack growth, copy-on-write) is not the cause; one that ends the process is', () => {
    const pf = interrupt(31_000, { errorCode: 7, cr2: 0x0804a000, fromCpl: 3, fromCs: 0x1b, fromEip: 0x0804803c, detail: 'the page is read-only (R/W = 0)' });
    const resumed: EngineEvent = { type: 'iret', icount: 31_200, cycles: 31_200, fromCpl: 0, toCpl: 3, toCs: 0x1b, toEip: 0x0804803c, eflags: 0x202 };
    expect(diagnose(fakeRun({ events: [IRET_TO_RING3, pf, resumed] }), [failedCheck]).headline).toBe(checkHeadline(failedCheck));
    // Killed: the kernel leaves the address space, and the next process happens to run the same program at the same place.
    const leave: EngineEvent = { type: 'cr-write', icount: 31_100, cycles: 31_100, cr: 3, value: 0x20e000, eip: 0xc0102168 };
    expect(diagnose(fakeRun({ events: [IRET_TO_RING3, pf, leave, resumed] }), [failedCheck]).headline).toMatch(/^a program raised #PF page fault in ring 3 at 001b:0804803c/);
  });

  it('a device interrupt on an exception vector comes before the panic it causes', () => {
    const irq = interrupt(14_539, { kind: 'external', vector: 8 });
    const run = fakeRun({ serial: 'panic: #DF double fault in the kernel\n', events: [irq], checks: [noPanic()], pic: { base: 8 } });
    expect(diagnose(run, [failedCheck]).headline).toBe('a device interrupt (IRQ 0) arrived on vector 0x08, which the CPU reserves for #DF double fault: the PIC delivers on vectors 0x08-0x0f and 0x10-0x17; remap it above 0x1f (ICW2); then the kernel printed "panic: #DF double fault in the kernel"');
  });

  it('a panic line alone, when no event explains it', () => {
    const run = fakeRun({ serial: 'ok\nkernel panic: out of page frames\n', checks: [noPanic()] });
    expect(diagnose(run, [failedCheck]).headline).toBe('the kernel panicked: "kernel panic: out of page frames" (around instruction 40000)');
  });

  it('runs that did not end on their own: a HLT nothing can end, an exception storm, a quiet loop', () => {
    const tick = interrupt(14_580, { kind: 'external', vector: 0x20 });
    const halt = fakeRun({ events: [tick], pic: { isr: 1 }, eflags: 0x202, result: { reason: 'halt', message: 'HLT with interrupts enabled at 0008:00101861 hlt, but the PIC masks every interrupt that is due' } });
    expect(diagnose(halt, [failedCheck]).headline).toBe('the kernel waits in HLT at 0008:00101861 hlt with interrupts enabled, but no interrupt can come: IRQ 0 is still in service at the PIC (no EOI was sent since its interrupt on vector 0x20 at instruction 14580), which holds off it and every lower-priority IRQ');
    const storm = [1, 2, 3, 4].map((i) => interrupt(1000 * i, { vector: 14, errorCode: 2, cr2: 0, detail: 'page directory entry 0 is not present' }));
    const budget = { reason: 'budget' as const, message: 'instruction budget of 50000 exhausted at 0008:00100100', instructions: 50_000 };
    expect(diagnose(fakeRun({ events: storm, result: budget }), [failedCheck]).headline).toBe('the instruction budget ran out at 0008:00100100 (jmp 0x00100100) in ring 0: #PF page fault at 0008:00100200 (page directory entry 0 is not present) was raised 4 times in a row at the end: its handler returns to the faulting instruction, which faults again');
    expect(diagnose(fakeRun({ serial: 'spinning\n', result: budget }), [failedCheck]).headline).toBe('the instruction budget ran out at 0008:00100100 (jmp 0x00100100) in ring 0: no output and no event in its last 10000 instructions');
  });

  it('falls back to the checks: a check of the protection set-up before a missing line, else the first failed check', () => {
    const setup: CheckResult = { name: 'kernel memory is not user-accessible', passed: false, expected: 'no user-accessible page', observed: 'ring 3 can read 0x00000000' };
    const cause = { ...check(setup.name, () => false), role: { cause: true } };
    expect(diagnose(fakeRun({ checks: [check(failedCheck.name, () => false), cause] }), [failedCheck, setup]).headline).toBe('ring 3 can read 0x00000000; expected no user-accessible page');
    // The observation already quotes what was expected: it is not said twice.
    expect(checkHeadline(failedCheck)).toBe('"hello\\n" never appears; no serial output at all');
  });
});
