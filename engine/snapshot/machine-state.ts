// A whole lab PC at one instant, and putting it back: what reverse
// debugging restores before it runs forward again to the instruction it
// wants. Restoring must give the machine the exact state it had, down to
// what a guest can only observe indirectly (the TLB's stale entries, the
// PIT's phase, a lazy flag record), or the run that follows is not the run
// being debugged.

import type { CPU } from '../cpu/cpu.ts';
import type { TlbCopy } from '../memory/tlb.ts';
import type { WrittenPages } from '../memory/written-pages.ts';
import { RamImage } from './ram-image.ts';
import { copyState, restoreState, type StateCopy } from './state-copy.ts';

/** What a machine is made of, as its snapshot sees it. */
export interface MachineParts {
  cpu: CPU;
  written: WrittenPages;
  /** The CPU and the devices: objects whose every field is the machine's state (snapshot/state-copy.ts). */
  stateful: readonly object[];
}

export interface MachineState {
  readonly ram: RamImage;
  readonly tlb: TlbCopy;
  readonly parts: readonly StateCopy[];
}

/** The machine's state now; `previous`, an earlier state of the same machine, shares its unchanged RAM pages. */
export function captureMachineState(m: MachineParts, previous: MachineState | null): MachineState {
  const shared = sharedObjects(m);
  return {
    ram: RamImage.capture(m.cpu.ram, m.written, previous?.ram ?? null),
    tlb: m.cpu.tlb.save(),
    parts: m.stateful.map((part) => copyState(part, shared)),
  };
}

/** Puts the machine back into `state`, which was captured from it. */
export function restoreMachineState(m: MachineParts, state: MachineState): void {
  const shared = sharedObjects(m);
  state.ram.restore(m.cpu.ram, m.written);
  // Compiled code was compiled from RAM as it was: any page may hold other bytes now.
  m.cpu.blocks?.invalidateAll();
  m.cpu.tlb.restore(state.tlb);
  m.cpu.accessWatch.markAll();
  m.stateful.forEach((part, i) => restoreState(part, state.parts[i]!, shared));
}

/**
 * Objects reachable from the stateful parts that are not copied with them:
 * RAM and the TLB (their own copies above), the port and MMIO buses' wiring and the
 * code cache (a run never changes the one, and the other only makes it
 * faster), a debugger's watchpoints (the debugger's, not the machine's), and each stateful part as seen from another (a device's output
 * sink), which is copied once, as a part.
 */
function sharedObjects(m: MachineParts): Set<object> {
  const cpu = m.cpu;
  return new Set<object>([
    cpu.ram, cpu.ram16, cpu.ram32, cpu.tlb, cpu.tlbEntries, cpu.io, cpu.written, m.written, cpu.accessWatch,
    ...(cpu.mmio ? [cpu.mmio] : []),
    ...(cpu.blocks ? [cpu.blocks] : []),
    ...m.stateful,
  ]);
}
