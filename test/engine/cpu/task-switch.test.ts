// A far JMP to a TSS whose contents are wrong (SDM Vol. 3, 7.3 and Table
// 7-1): the checks after the commit point raise #TS with the bad selector in
// the new task, whose EIP the fault reports; and no TSS contents, however
// malformed, make the engine throw anything but the guest's exception or a
// machine stop.
import { describe, expect, it } from 'vitest';
import { CODE, descriptor, loadGdt, makeCpu } from './harness.ts';
import { CpuException, MachineStop, Vector } from '../../../engine/cpu/exceptions.ts';
import { step } from '../../../engine/cpu/execute.ts';
import { CYCLES } from '../../../engine/cpu/cycle-model.ts';

const GDT = 0x2000;
const OLD_TSS = 0x4000;
const NEW_TSS = 0x4100;
const NEW_EIP = 0x6000;

/** Ring 0, TR = 0x18 (busy); `ljmp $0x20, $0` at CODE to an available TSS at NEW_TSS, filled by `fill`. */
function machine(fill: (tss: (offset: number, value: number) => void) => void) {
  const cpu = makeCpu();
  const gdt = [
    [0, 0] as const,
    descriptor(0, 0xfffff, 0x9a, 0xc), // 0x08 code
    descriptor(0, 0xfffff, 0x92, 0xc), // 0x10 data
    descriptor(OLD_TSS, 0x67, 0x8b, 0), // 0x18 the current TSS, busy
    descriptor(NEW_TSS, 0x67, 0x89, 0), // 0x20 the new TSS
    descriptor(0, 0xfffff, 0xf2, 0xc), // 0x28 ring-3 data
  ];
  loadGdt(cpu, GDT, gdt);
  cpu.trSel = 0x18; cpu.trBase = OLD_TSS; cpu.trLimit = 0x67;
  const set = (offset: number, value: number) => { cpu.ram32[(NEW_TSS + offset) >>> 2] = value; };
  set(0x20, NEW_EIP); set(0x24, 0x2); set(0x38, 0x9000);
  [0x48, 0x50, 0x54, 0x58, 0x5c].forEach((o) => set(o, 0x10)); // ES SS DS FS GS
  set(0x4c, 0x08); // CS
  fill(set);
  cpu.ram.set([0xea, 0, 0, 0, 0, 0x20, 0], CODE);
  cpu.eip = CODE;
  return cpu;
}

function jump(cpu: ReturnType<typeof makeCpu>): unknown {
  try {
    step(cpu);
    return null;
  } catch (e) {
    return e;
  }
}

describe('faults after a task switch commits', () => {
  it('a bad selector in the new TSS is #TS(selector), raised at the new task\'s EIP with the switch done', () => {
    const cases: Array<[string, number, number, number]> = [
      ['CS null', 0x4c, 0, 0],
      ['CS a data segment', 0x4c, 0x10, 0x10],
      ['SS with DPL 3 at CPL 0', 0x50, 0x2b, 0x28],
      ['DS beyond the GDT', 0x54, 0x80, 0x80],
      ['the LDT selector naming a code segment', 0x60, 0x08, 0x08],
    ];
    for (const [what, offset, value, code] of cases) {
      const cpu = machine((set) => set(offset, value));
      const fault = jump(cpu);
      expect(fault, what).toBeInstanceOf(CpuException);
      expect([(fault as CpuException).vector, (fault as CpuException).errorCode], what).toEqual([Vector.TS, code]);
      // Committed: TR is the new task's, the old one is free and holds the EIP after the JMP.
      expect([cpu.trSel, cpu.eip], what).toEqual([0x20, NEW_EIP]);
      expect((cpu.ram32[(GDT + 0x18 + 4) >>> 2]! >>> 8) & 0xf, what).toBe(0x9);
      expect(cpu.ram32[(OLD_TSS + 0x20) >>> 2], what).toBe(CODE + 7);
    }
  });

  it('a check before the commit point changes nothing: a new TSS with limit 0x66 is #TS(0x20)', () => {
    const cpu = machine(() => {});
    const [low, high] = descriptor(NEW_TSS, 0x66, 0x89, 0);
    cpu.ram32[(GDT + 0x20) >>> 2] = low; cpu.ram32[(GDT + 0x24) >>> 2] = high;
    const fault = jump(cpu) as CpuException;
    expect([fault.vector, fault.errorCode]).toEqual([Vector.TS, 0x20]);
    expect([cpu.trSel, cpu.eip]).toEqual([0x18, CODE]);
  });

  it('no TSS contents make the engine throw anything but a guest exception or a machine stop', () => {
    let seed = 12345;
    const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) | 0; return seed >>> 0; };
    const selectors = [0, 3, 0x08, 0x0b, 0x10, 0x13, 0x18, 0x20, 0x2b, 0x2c, 0x80, 0xffff];
    for (let i = 0; i < 300; i++) {
      const cpu = machine((set) => {
        for (let o = 0x1c; o < 0x68; o += 4) {
          const r = random();
          // Segment and LDT slots get plausible selectors most of the time, anything else otherwise.
          set(o, o >= 0x48 && r % 4 !== 0 ? selectors[r % selectors.length]! : random());
        }
      });
      const outcome = jump(cpu);
      if (outcome !== null) expect(outcome instanceof CpuException || outcome instanceof MachineStop, String(outcome)).toBe(true);
    }
  });
});

describe('what a task switch costs', () => {
  it('a far JMP to a task costs a far transfer and a task switch, whether or not the new task\'s segments then fault', () => {
    const ok = machine(() => {});
    const before = ok.cycles();
    expect(jump(ok)).toBeNull();
    expect(ok.cycles() - before).toBe(CYCLES.farTransfer + CYCLES.taskSwitch + 5 * (CYCLES.segmentLoad - CYCLES.instruction));
    const faulting = machine((set) => set(0x54, 0x80));
    const start = faulting.cycles();
    jump(faulting);
    // Nothing retired, so the instruction's own cycle is not counted; the rest stands, with the loads of SS and DS (the faulting one).
    expect(faulting.cycles() - start).toBe(CYCLES.farTransfer - CYCLES.instruction + CYCLES.taskSwitch + 2 * (CYCLES.segmentLoad - CYCLES.instruction));
  });
});
