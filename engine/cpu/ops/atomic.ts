// Exchange and compare-and-exchange (SDM Vol. 1, 7.3.1.2): XCHG, XADD,
// CMPXCHG, CMPXCHG8B, and NOP/PAUSE, which are XCHG EAX,EAX in the opcode map.
//
// The lab PC has one CPU and instructions do not interleave, so each of these
// is atomic already; LOCK is accepted by the prefix decoder. What still
// matters is fault atomicity: every memory write happens before any register
// or flag changes, so a page fault on the write leaves the instruction undone.

import type { CPU } from '../cpu.ts';
import { Reg } from '../cpu.ts';
import { ZF } from '../flags.ts';
import { alu } from './arith-semantics.ts';
import { OpcodeFamily } from '../opcode-family.ts';

export const atomicOpcodes = new OpcodeFamily('ops/atomic.ts');
const { def, def0F, def2, emit } = atomicOpcodes;

const ADD = 0;
const CMP = 7;

// ---- XCHG: 86 Eb,Gb  87 Ev,Gv  91-97 eAX,r ------------------------------------------

def(0x86, (cpu) => {
  const m = cpu.fetch8();
  const reg = (m >>> 3) & 7;
  const r = cpu.getReg8(reg);
  if (m >= 0xc0) {
    cpu.setReg8(reg, cpu.getReg8(m & 7));
    cpu.setReg8(m & 7, r);
    return;
  }
  const lin = cpu.ea(m);
  const v = cpu.read8(lin);
  cpu.write8(lin, r);
  cpu.setReg8(reg, v);
});

def2(0x87,
  (cpu) => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    const r = cpu.r32[reg]!;
    if (m >= 0xc0) {
      cpu.r32[reg] = cpu.r32[m & 7]!;
      cpu.r32[m & 7] = r;
      return;
    }
    const lin = cpu.ea(m);
    const v = cpu.read32(lin);
    cpu.write32(lin, r);
    cpu.r32[reg] = v;
  },
  (cpu) => {
    const m = cpu.fetch8();
    const reg = ((m >>> 3) & 7) << 1;
    const r = cpu.r16[reg]!;
    if (m >= 0xc0) {
      cpu.r16[reg] = cpu.r16[(m & 7) << 1]!;
      cpu.r16[(m & 7) << 1] = r;
      return;
    }
    const lin = cpu.ea(m);
    const v = cpu.read16(lin);
    cpu.write16(lin, r);
    cpu.r16[reg] = v;
  });

// 90 is XCHG EAX,EAX: NOP. F3 90 is PAUSE, a spin-loop hint that also does nothing here.
def(0x90, () => {});

for (let reg = 1; reg < 8; reg++) {
  def2(0x90 + reg,
    (cpu) => {
      const v = cpu.r32[0];
      cpu.r32[0] = cpu.r32[reg]!;
      cpu.r32[reg] = v;
    },
    (cpu) => {
      const v = cpu.r16[0];
      cpu.r16[0] = cpu.r16[reg << 1]!;
      cpu.r16[reg << 1] = v;
    });
}

// ---- ModRM operands by size (XADD and CMPXCHG share code across sizes) ----------------





// ---- XADD: 0F C0 Eb,Gb  0F C1 Ev,Gv ------------------------------------------------------

/** SDM "XADD": TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP; flags as ADD. */
function xadd(size: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const reg = (m >>> 3) & 7;
    const src = cpu.readReg(reg, size);
    if (m >= 0xc0) {
      const dest = cpu.readReg(m & 7, size);
      const sum = alu(cpu, ADD, dest, src, size);
      // DEST is written last, so "xadd eax, eax" leaves the sum in EAX.
      cpu.writeReg(reg, size, dest);
      cpu.writeReg(m & 7, size, sum);
      return;
    }
    const lin = cpu.ea(m);
    const dest = cpu.readMem(lin, size);
    const sum = alu(cpu, ADD, dest, src, size);
    cpu.writeMem(lin, size, sum);
    cpu.writeReg(reg, size, dest);
  };
}

// ---- CMPXCHG: 0F B0 Eb,Gb  0F B1 Ev,Gv -------------------------------------------------

/**
 * SDM "CMPXCHG": compare the accumulator with DEST (flags as CMP accumulator,
 * DEST). Equal: ZF = 1 and DEST <- SRC. Different: ZF = 0 and the accumulator
 * <- DEST, and DEST is still written, with its own value ("the destination
 * operand is written back if the comparison fails"): a read-only page faults
 * either way, and a clean page becomes dirty either way.
 */
function cmpxchg(size: number) {
  return (cpu: CPU): void => {
    const m = cpu.fetch8();
    const src = cpu.readReg((m >>> 3) & 7, size);
    const acc = cpu.readReg(Reg.EAX, size);
    if (m >= 0xc0) {
      const dest = cpu.readReg(m & 7, size);
      alu(cpu, CMP, acc, dest, size);
      if (acc === dest) cpu.writeReg(m & 7, size, src);
      else cpu.writeReg(Reg.EAX, size, dest);
      return;
    }
    const lin = cpu.ea(m);
    const dest = cpu.readMem(lin, size);
    const equal = acc === dest;
    cpu.writeMem(lin, size, equal ? src : dest);
    alu(cpu, CMP, acc, dest, size);
    if (!equal) cpu.writeReg(Reg.EAX, size, dest);
  };
}

// ---- CMPXCHG8B: 0F C7 /1 m64 -------------------------------------------------------------


/**
 * SDM "CMPXCHG8B": compare EDX:EAX with m64. Equal: ZF = 1 and m64 <- ECX:EBX.
 * Different: ZF = 0 and EDX:EAX <- m64, with m64 written back unchanged.
 * Only ZF changes; the other status flags keep their values.
 */
function cmpxchg8b(cpu: CPU, m: number): void {
  if (m >= 0xc0) cpu.undefinedOpcode('CMPXCHG8B with a register operand (0F C7 /1 takes m64 only)');
  const lin = cpu.ea(m);
  const lo = cpu.read32(lin);
  const hi = cpu.read32((lin + 4) | 0);
  const equal = lo === cpu.r32[Reg.EAX] && hi === cpu.r32[Reg.EDX];
  cpu.prepareWrite(lin, 8) /* both dword stores or neither */;
  if (equal) {
    cpu.write32(lin, cpu.r32[Reg.EBX]);
    cpu.write32((lin + 4) | 0, cpu.r32[Reg.ECX]);
  } else {
    cpu.write32(lin, lo);
    cpu.write32((lin + 4) | 0, hi);
    cpu.r32[Reg.EAX] = lo;
    cpu.r32[Reg.EDX] = hi;
  }
  cpu.materializeFlags();
  cpu.flags = equal ? cpu.flags | ZF : cpu.flags & ~ZF;
}

// Group 9: only /1 exists on this CPU. The others (VMPTRLD, VMPTRST, VMCLEAR,
// RDRAND, RDSEED, RDPID) belong to extensions the lab PC's i686 does not have.
function group9(cpu: CPU): void {
  const m = cpu.fetch8();
  const op = (m >>> 3) & 7;
  if (op !== 1) cpu.undefinedOpcode(`undefined opcode 0F C7 /${op} (the lab PC has CMPXCHG8B, /1, only)`);
  cmpxchg8b(cpu, m);
}

def0F(0xb0, cmpxchg(1));
def0F(0xb1, cmpxchg(4), cmpxchg(2));
def0F(0xc0, xadd(1));
def0F(0xc1, xadd(4), xadd(2));
def0F(0xc7, group9);

// ---- compiled forms (see opcode-family.ts) ----------------------------------------

emit(0x90, (c) => c.straight('')); // NOP
