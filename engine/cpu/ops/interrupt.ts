// Software interrupts and the return from a handler (SDM Vol. 2 "INT n/INTO/INT3",
// "IRET", "BOUND"): the instructions. The delivery itself is in ../interrupts.ts.

import type { CPU } from '../cpu.ts';
import { Reg, Seg } from '../cpu.ts';
import { CpuException, MachineStop, Vector } from '../exceptions.ts';
import { IF, IOPL, NT, RF, TF, VM, WRITABLE } from '../flags.ts';
import { deliverInterrupt, deliveryEvent, InterruptKind } from '../interrupts.ts';
import { returnToPreviousTask } from '../task-gates.ts';
import { hex32 } from '../../hex.ts';
import { checkReturnCode, checkReturnStack, loadSegmentCache, nullInaccessibleSegments } from '../../memory/segmentation.ts';
import { OpcodeFamily } from '../opcode-family.ts';
import { beyondInstruction, CYCLES } from '../cycle-model.ts';

export const interruptOpcodes = new OpcodeFamily('ops/interrupt.ts');
const { def, def2 } = interruptOpcodes;

/** INT n, INT3 and INTO are traps: the frame returns to the next instruction. */
function softwareInterrupt(cpu: CPU, vector: number, kind = InterruptKind.Software): void {
  const d = deliverInterrupt(cpu, vector, -1, kind, cpu.eip);
  cpu.softwareInterrupted = true;
  cpu.emit?.(deliveryEvent(cpu, d));
}

def(0xcd, (cpu) => softwareInterrupt(cpu, cpu.fetch8()));
def(0xcc, (cpu) => softwareInterrupt(cpu, Vector.BP));
def(0xce, (cpu) => { if (cpu.getOF()) softwareInterrupt(cpu, Vector.OF); });
// INT1 (ICEBP): a #DB trap, delivered as an exception is, so without the gate's DPL check
// (SDM Vol. 2 "INT n/INTO/INT3/INT1"); DR6 is left as it was. QEMU 7.2 stops its whole machine here instead.
def(0xf1, (cpu) => softwareInterrupt(cpu, Vector.DB, InterruptKind.Exception));

// BOUND Gv, Ma: #BR (a fault) when the index is outside [lower, upper], signed.
def2(0x62,
  (cpu) => {
    const m = cpu.fetch8();
    if (m >= 0xc0) cpu.undefinedOpcode('BOUND with a register operand');
    const lin = cpu.ea(m, 8);
    const index = cpu.r32[(m >>> 3) & 7]!;
    if (index < cpu.read32(lin) || index > cpu.read32((lin + 4) | 0)) throw new CpuException(Vector.BR, -1, `BOUND: index ${index} out of range`);
  },
  (cpu) => {
    const m = cpu.fetch8();
    if (m >= 0xc0) cpu.undefinedOpcode('BOUND with a register operand');
    const lin = cpu.ea(m, 4);
    const index = (cpu.r16[((m >>> 3) & 7) << 1]! << 16) >> 16;
    const lower = (cpu.read16(lin) << 16) >> 16;
    const upper = (cpu.read16((lin + 2) | 0) << 16) >> 16;
    if (index < lower || index > upper) throw new CpuException(Vector.BR, -1, `BOUND: index ${index} out of range`);
  });

function gp(selector: number, why: string): never {
  throw new CpuException(Vector.GP, selector & 0xfffc, `IRET: ${why}`);
}

/**
 * IRET in protected mode (SDM "IRET", PROTECTED-MODE-RETURN): to the same
 * ring, or to an outer ring with SS:ESP popped from the handler's stack.
 * EFLAGS.IOPL changes only at CPL 0 and IF only at CPL <= IOPL, judged by
 * the CPL before the return.
 */
function iret(cpu: CPU): void {
  if (cpu.flags & NT) {
    returnFromNestedTask(cpu);
    return;
  }
  const size = cpu.o16 ? 2 : 4;
  const esp = cpu.r32[Reg.ESP];
  try {
    const eip = cpu.popOp();
    const selector = cpu.popOp() & 0xffff;
    const image = cpu.popOp();
    if (size === 4 && (image & VM) !== 0 && cpu.cpl === 0) {
      throw new MachineStop('unsupported', 'IRET to virtual-8086 mode: the lab PC does not model it');
    }
    const d = checkReturnCode(cpu, selector, 'IRET');
    const rpl = selector & 3;

    let newEsp = 0, ss = 0, ssDescriptor = null;
    if (rpl > cpu.cpl) {
      newEsp = cpu.popOp();
      ss = cpu.popOp() & 0xffff;
      ssDescriptor = checkReturnStack(cpu, ss, rpl, 'IRET');
    }
    const target = size === 2 ? eip & 0xffff : eip;
    if (target >>> 0 > d.limit >>> 0) gp(0, `return EIP ${hex32(target)} is beyond the code segment limit`);

    // Commit; the cycles count for the ring IRET leaves.
    const fromCpl = cpu.cpl;
    cpu.extraCycles += beyondInstruction(ssDescriptor ? CYCLES.iretToOuterRing : CYCLES.iretSameRing);
    let mask = WRITABLE & ~VM;
    if (fromCpl > 0) mask &= ~IOPL;
    if (fromCpl > ((cpu.flags & IOPL) >>> 12)) mask &= ~IF;
    if (size === 2) mask &= 0xffff;
    const old = cpu.getFlags();
    cpu.setArithFlags(0);
    cpu.flags = (old & ~mask) | (image & mask);
    // A newly set IF may let an interrupt in; TF or RF need the debugged loop (debug-registers.ts).
    if ((cpu.flags & ~old & (IF | TF)) !== 0 || (cpu.flags & RF) !== 0) cpu.stopRequested = true;
    loadSegmentCache(cpu, Seg.CS, selector, d);
    cpu.eip = target;
    cpu.fetchPage = -1;
    if (ssDescriptor) {
      cpu.setCpl(rpl);
      loadSegmentCache(cpu, Seg.SS, ss, ssDescriptor);
      cpu.r32[Reg.ESP] = newEsp;
      nullInaccessibleSegments(cpu);
    }
    if (fromCpl !== cpu.cpl) {
      cpu.emit?.({ type: 'iret', icount: cpu.retired, fromCpl, toCpl: cpu.cpl, toCs: selector, toEip: target, eflags: cpu.getFlags() });
    }
  } catch (e) {
    cpu.r32[Reg.ESP] = esp;
    throw e;
  }
}

/** IRET with NT set: back to the task that a CALL or a task gate nested this one in (task-gates.ts). */
function returnFromNestedTask(cpu: CPU): void {
  const fromCpl = cpu.cpl;
  cpu.extraCycles += beyondInstruction(CYCLES.iretToOuterRing);
  returnToPreviousTask(cpu);
  if (fromCpl !== cpu.cpl) {
    cpu.emit?.({ type: 'iret', icount: cpu.retired, fromCpl, toCpl: cpu.cpl, toCs: cpu.segSel[Seg.CS], toEip: cpu.eip, eflags: cpu.getFlags() });
  }
}

def(0xcf, iret);
