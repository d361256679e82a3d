// The interrupt descriptor table and the C half of every interrupt and
// exception. trapentry.S saves the interrupted state as a struct trapframe
// and calls trap(tf); when trap returns, trapentry.S restores that state and
// the interrupted code goes on as if nothing had happened.

#include "kprintf.h"
#include "mmu.h"
#include "pic.h"
#include "pit.h"
#include "traps.h"
#include "x86.h"

// A 32-bit interrupt or trap gate: where the handler is (selector and
// offset) and who may use the gate (P, DPL). Through an interrupt gate the CPU
// clears IF on entry, so a handler is not interrupted before it has saved
// anything; a trap gate leaves IF alone. This kernel uses interrupt gates only.
struct gatedesc {
  uint16_t offset_lo;       // handler offset bits 0-15
  uint16_t selector;        // the handler's code segment
  uint8_t  zero;            // unused, 0
  uint8_t  type_attr;       // P (7), DPL (6-5), 0 (4), type (3-0)
  uint16_t offset_hi;       // handler offset bits 16-31
} __attribute__((packed));

_Static_assert(sizeof(struct gatedesc) == 8, "a gate descriptor is 8 bytes");

#define STS_IG32    0xE     // 32-bit interrupt gate
#define STS_TG32    0xF     // 32-bit trap gate
#define GATE_P      0x80    // present

#define NIDT        256

// Lab 3's handlers (syscall.c, proc.c). Weak, so that lab 2's kernel, built
// without those files, still links: there their addresses are 0.
void syscall(struct trapframe *tf) __attribute__((weak));
void proc_fault(struct trapframe *tf) __attribute__((weak));
void proc_timer(struct trapframe *tf) __attribute__((weak));

static struct gatedesc idt[NIDT];

// The entry stubs' addresses, vectors[n] for vector n (trapentry.S).
extern uint32_t vectors[NIDT];

/* BEGIN SOLUTION lab2 */
static struct gatedesc
gate(uint32_t handler, int dpl)
{
  struct gatedesc g;

  g.offset_lo = handler & 0xFFFF;
  g.selector = KCODE_SEL;
  g.zero = 0;
  g.type_attr = GATE_P | (dpl << 5) | STS_IG32;
  g.offset_hi = handler >> 16;
  return g;
}
/* END SOLUTION */
/* STUDENT lab2: a helper that builds a present 32-bit interrupt gate to a handler in the kernel code segment, with a given DPL */

// Fill the IDT, load it, and bring up the PICs and the timer. Interrupts stay
// off (IF = 0) until someone executes STI.
void
trap_init(void)
{
/* BEGIN SOLUTION lab2 */
  // SDM 6.12.1.1: for INT n, INT3 and INTO the CPU checks CPL <= the gate's
  // DPL (#GP otherwise); exceptions and hardware interrupts skip the check.
  // DPL 0 everywhere therefore keeps ring 3 from faking an exception or an
  // IRQ with INT n, and DPL 3 on 0x80 makes it the one door into the kernel.
  for (int i = 0; i < NIDT; i++)
    idt[i] = gate(vectors[i], DPL_KERNEL);
  idt[T_SYSCALL] = gate(vectors[T_SYSCALL], DPL_USER);
  lidt(idt, sizeof(idt));
/* END SOLUTION */
/* STUDENT lab2: point every one of the 256 gates at its stub in vectors[] (interrupt gates, kernel code segment, DPL 0), give T_SYSCALL DPL 3, and load the IDT with lidt */
  pic_init();
  pit_init();
  kprintf("interrupts: idt %d gates, irq 0-15 at vectors 0x%x-0x%x, timer %d Hz\n", NIDT, T_IRQ0, T_IRQ0 + 15, HZ);
}

// The exceptions' names, as the SDM's table 6-1 gives them.
static const char *const exception_names[] = {
  [T_DIVIDE]  = "#DE divide error",
  [T_DEBUG]   = "#DB debug",
  [T_NMI]     = "NMI non-maskable interrupt",
  [T_BRKPT]   = "#BP breakpoint",
  [T_OFLOW]   = "#OF overflow",
  [T_BOUND]   = "#BR bound range exceeded",
  [T_ILLOP]   = "#UD invalid opcode",
  [T_DEVICE]  = "#NM device not available",
  [T_DBLFLT]  = "#DF double fault",
  [T_COPROC]  = "coprocessor segment overrun",
  [T_TSS]     = "#TS invalid TSS",
  [T_SEGNP]   = "#NP segment not present",
  [T_STACK]   = "#SS stack-segment fault",
  [T_GPFLT]   = "#GP general protection",
  [T_PGFLT]   = "#PF page fault",
  [15]        = "reserved",
  [T_FPERR]   = "#MF x87 floating-point error",
  [T_ALIGN]   = "#AC alignment check",
  [T_MCHK]    = "#MC machine check",
  [T_SIMDERR] = "#XM SIMD floating-point exception",
};

const char *
trap_name(uint32_t trapno)
{
  if (trapno < sizeof(exception_names) / sizeof(exception_names[0]))
    return exception_names[trapno];
  if (trapno < 32)
    return "reserved";
  return "unexpected";
}

// One line that says what went wrong and where, in the handout's format:
//   trap 13 #GP general protection: err 0x00000050 (index=10 table=GDT ext=0) at 0x0008:0x00101234
//   trap 14 #PF page fault: err 0x00000002 (P=0 W=1 U=0) cr2 0xc0000000 at 0x0008:0x00101234
//   trap 6 #UD invalid opcode: at 0x0008:0x00101234
static void
print_trap(struct trapframe *tf)
{
/* BEGIN SOLUTION lab2 */
  uint32_t err = tf->err;

  kprintf("trap %d %s: ", tf->trapno, trap_name(tf->trapno));
  switch (tf->trapno) {
  case T_TSS:
  case T_SEGNP:
  case T_STACK:
  case T_GPFLT:
    kprintf("err %p (index=%d table=%s ext=%d) ", (void *)err, err >> 3,
            (err & SELERR_IDT) ? "IDT" : (err & SELERR_LDT) ? "LDT" : "GDT", err & SELERR_EXT);
    break;
  case T_PGFLT:
    kprintf("err %p (P=%d W=%d U=%d) cr2 %p ", (void *)err,
            (err & PFERR_P) != 0, (err & PFERR_W) != 0, (err & PFERR_U) != 0, (void *)rcr2());
    break;
  case T_DBLFLT:
  case T_ALIGN:
    kprintf("err %p ", (void *)err);
    break;
  }
  kprintf("at 0x%04x:%p\n", tf->cs, (void *)tf->eip);
/* END SOLUTION */
/* STUDENT lab2: print the trap line: "trap N NAME: ", then for vectors with an error code "err 0x........ " and its decoding (selector errors: "(index=I table=GDT|LDT|IDT ext=E) "; #PF: "(P=p W=w U=u) cr2 0x........ "), then "at 0xCCCC:0xEEEEEEEE" and a newline */
}

void
trap(struct trapframe *tf)
{
/* BEGIN SOLUTION lab3 */
  // From lab 3 on, INT $0x80 is a real system call, and an exception raised
  // in ring 3 (CS's RPL is the CPL the trap came from) is the process's fault,
  // not the kernel's: it ends that process, and the kernel carries on.
/* BEGIN SOLUTION lab5 */
  // From lab 5 on, the timer also takes the CPU back. The EOI goes first:
  // proc_timer may switch to another process, and the PIC must be free to
  // deliver that process's next tick.
  if (tf->trapno == T_IRQ0 + IRQ_TIMER && proc_timer) {
    timer_tick();
    pic_eoi(IRQ_TIMER);
    proc_timer(tf);
    return;
  }
/* END SOLUTION */
/* STUDENT lab5: IRQ_TIMER: count the tick, send the EOI, then let proc_timer wake sleepers and preempt */
  if (tf->trapno == T_SYSCALL && syscall) {
    syscall(tf);
    return;
  }
  if (tf->trapno < T_IRQ0 && (tf->cs & 3) == DPL_USER && proc_fault) {
    proc_fault(tf);
    return;
  }
/* END SOLUTION */
/* STUDENT lab3: a T_SYSCALL goes to syscall(tf); an exception (vector below T_IRQ0) from ring 3 goes to proc_fault(tf); both then return */
/* BEGIN SOLUTION lab2 */
  if (tf->trapno == T_SYSCALL) {
    // Lab 3 turns this into real system calls; for now, show that we got here.
    kprintf("syscall %d\n", tf->eax);
    return;
  }
  if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + 16) {
    int irq = tf->trapno - T_IRQ0;
    if (irq == IRQ_TIMER)
      timer_tick();
    pic_eoi(irq);
    return;
  }
  // An exception (or a vector nothing should raise). Everything runs in
  // ring 0 in this lab, so it is the kernel's own bug: report it and stop.
  print_trap(tf);
  panic("%s in the kernel", trap_name(tf->trapno));
/* END SOLUTION */
/* STUDENT lab2: T_SYSCALL: print "syscall N" (N = EAX) and return; IRQ 0-15: count a tick for IRQ_TIMER, send the EOI, return; anything else: print_trap(tf), then panic */
}
