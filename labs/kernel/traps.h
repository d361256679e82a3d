// Interrupt and exception vectors, and the trap frame: what the CPU and
// trapentry.S leave on the stack before they call trap() (Intel SDM volume 3,
// chapter 6).
#ifndef TRAPS_H
#define TRAPS_H

// Vectors 0-31 are the CPU's own exceptions; 20-31 are reserved.
#define T_DIVIDE     0    // #DE divide error (DIV or IDIV by 0, or a quotient too big)
#define T_DEBUG      1    // #DB debug
#define T_NMI        2    // non-maskable interrupt
#define T_BRKPT      3    // #BP breakpoint (INT3): a trap, EIP is after the INT3
#define T_OFLOW      4    // #OF overflow (INTO with OF = 1): a trap
#define T_BOUND      5    // #BR BOUND range exceeded
#define T_ILLOP      6    // #UD invalid opcode
#define T_DEVICE     7    // #NM device not available (FPU use with CR0.TS = 1)
#define T_DBLFLT     8    // #DF double fault (error code, always 0)
#define T_COPROC     9    // coprocessor segment overrun (not on any CPU since the 486)
#define T_TSS       10    // #TS invalid TSS (selector error code)
#define T_SEGNP     11    // #NP segment not present (selector error code)
#define T_STACK     12    // #SS stack-segment fault (selector error code)
#define T_GPFLT     13    // #GP general protection (selector error code, often 0)
#define T_PGFLT     14    // #PF page fault (page-fault error code; the address is in CR2)
#define T_FPERR     16    // #MF x87 floating-point error
#define T_ALIGN     17    // #AC alignment check (error code, always 0)
#define T_MCHK      18    // #MC machine check
#define T_SIMDERR   19    // #XM SIMD floating-point exception

// The 8259 PICs deliver IRQ 0-15 on vectors T_IRQ0 to T_IRQ0 + 15 (pic.c).
#define T_IRQ0      32
#define IRQ_TIMER    0    // the 8254 PIT, channel 0
#define IRQ_COM1     4

// The system-call gate: the one vector ring 3 may raise with INT n.
#define T_SYSCALL 0x80

// A selector error code (#TS, #NP, #SS, #GP): bits 3-15 are the descriptor's
// index, bit 2 the table if bit 1 is clear (0 = GDT, 1 = LDT), bit 1 "the
// index is an IDT vector", bit 0 EXT: an event outside the program (a
// hardware interrupt, or an exception while delivering one) caused the fault.
#define SELERR_EXT   0x1
#define SELERR_IDT   0x2
#define SELERR_LDT   0x4

// A page-fault error code: P = 0 the page was not present, 1 a protection
// violation; W = the access was a write; U = the CPU was in ring 3.
#define PFERR_P      0x1
#define PFERR_W      0x2
#define PFERR_U      0x4

#ifndef __ASSEMBLER__
#include "types.h"

// The stack at the call of trap(), lowest address first: trapentry.S pushed
// everything above eip, the CPU the rest. One layout for every vector: where
// the CPU pushes no error code, the entry stub pushes a 0 in its place.
struct trapframe {
  // PUSHAL (esp is its value before PUSHAL, and POPAL ignores it)
  uint32_t edi;
  uint32_t esi;
  uint32_t ebp;
  uint32_t oesp;
  uint32_t ebx;
  uint32_t edx;
  uint32_t ecx;
  uint32_t eax;

  // the data segment registers, pushed by alltraps
  uint16_t gs, pad1;
  uint16_t fs, pad2;
  uint16_t es, pad3;
  uint16_t ds, pad4;

  // pushed by the vector's entry stub
  uint32_t trapno;
  uint32_t err;       // the CPU's error code, or the stub's 0

  // pushed by the CPU
  uint32_t eip;       // faults: the faulting instruction; traps and interrupts: the next one
  uint16_t cs, pad5;
  uint32_t eflags;

  // pushed by the CPU only when the interrupt came from ring 3 (lab 3)
  uint32_t esp;
  uint16_t ss, pad6;
};

void trap_init(void);
void trap(struct trapframe *tf);
const char *trap_name(uint32_t trapno);   // "#PF page fault" for 14

#endif // __ASSEMBLER__
#endif
