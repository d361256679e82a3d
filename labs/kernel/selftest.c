// Lab 2's test scenarios, chosen on the kernel command line (the grader's
// tests, and you under QEMU with -append, pick one per boot):
//
//   trap=NAME   raise one exception on purpose: de bp of br ud gp gpss pf pfw
//   ticks=N     enable interrupts and wait for N timer ticks, then print "ticks: N"
//   int80[=N]   execute "int $0x80" with EAX = N (default 42)
//
// Nothing here is yours to write; read it to see what each test does.

#include "kprintf.h"
#include "multiboot.h"
#include "pit.h"
#include "x86.h"

// Does `s` start with `prefix`? Then *rest points past it.
static int
starts_with(const char *s, const char *prefix, const char **rest)
{
  while (*prefix)
    if (*s++ != *prefix++)
      return 0;
  *rest = s;
  return 1;
}

// The word at `s` (up to a space or the end) equals `word`.
static int
word_is(const char *s, const char *word)
{
  while (*word)
    if (*s++ != *word++)
      return 0;
  return *s == 0 || *s == ' ';
}

static uint32_t
parse_uint(const char *s)
{
  uint32_t n = 0;
  while (*s >= '0' && *s <= '9')
    n = n * 10 + (*s++ - '0');
  return n;
}

// A page directory for the page-fault scenarios: 4 MiB pages (CR4.PSE), the
// first 64 MiB mapped to themselves, 0x40000000 mapped read-only, nothing
// else. Lab 4 builds real page tables; these are just enough to fault.
#define PDE_P    0x001
#define PDE_W    0x002
#define PDE_PS   0x080
#define CR0_WP   0x00010000
#define CR0_PG   0x80000000
#define CR4_PSE  0x00000010

static uint32_t fault_pgdir[1024] __attribute__((aligned(4096)));

static void
paging_for_faults(void)
{
  uint32_t cr0, cr4;

  for (uint32_t i = 0; i < 16; i++)
    fault_pgdir[i] = (i << 22) | PDE_PS | PDE_W | PDE_P;
  fault_pgdir[0x40000000 >> 22] = PDE_PS | PDE_P;     // read-only
  asm volatile("mov %%cr4, %0" : "=r"(cr4));
  asm volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_PSE));
  asm volatile("mov %0, %%cr3" : : "r"(fault_pgdir));
  asm volatile("mov %%cr0, %0" : "=r"(cr0));
  // WP: ring 0 may not write read-only pages either.
  asm volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_PG | CR0_WP) : "memory");
}

static void
raise_exception(const char *name)
{
  if (word_is(name, "de")) {
    // #DE: divide by zero.
    asm volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" : : "a"(1), "d"(0) : "ecx");
  } else if (word_is(name, "bp")) {
    // #BP: a trap, so the saved EIP is the instruction after INT3.
    asm volatile("int3");
  } else if (word_is(name, "of")) {
    // #OF: INTO with the overflow flag set (0x7fffffff + 1 overflows).
    asm volatile("movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto" : : : "eax", "cc");
  } else if (word_is(name, "br")) {
    // #BR: BOUND with 10 outside the bounds [0, 9].
    static int32_t bounds[2] = { 0, 9 };
    asm volatile("bound %0, %1" : : "r"(10), "m"(bounds));
  } else if (word_is(name, "ud")) {
    // #UD: UD2 is defined to be an invalid opcode.
    asm volatile("ud2");
  } else if (word_is(name, "gp")) {
    // #GP(0x50): selector 0x50 is GDT slot 10, past the end of our 6-slot GDT.
    asm volatile("movw $0x50, %%ax\n\tmovw %%ax, %%ds" : : : "eax");
  } else if (word_is(name, "gpss")) {
    // #GP(0x20): SS must be a writable segment whose DPL and RPL equal CPL;
    // 0x23 is user data (slot 4, DPL 3). The error code is 0x20 (RPL dropped).
    asm volatile("movw $0x23, %%ax\n\tmovw %%ax, %%ss" : : : "eax");
  } else if (word_is(name, "pf")) {
    // #PF: read a page that is not mapped.
    paging_for_faults();
    (void)*(volatile uint32_t *)0xC0000000;
  } else if (word_is(name, "pfw")) {
    // #PF: write a page that is present but read-only.
    paging_for_faults();
    *(volatile uint32_t *)0x40000000 = 1;
  } else {
    kprintf("selftest: unknown trap name\n");
    return;
  }
  kprintf("selftest: no exception\n");
}

static void
wait_ticks(uint32_t n)
{
  // Check and sleep with interrupts off, and let STI's one-instruction delay
  // open them only once HLT has started: a tick cannot slip in between the
  // check and the HLT and leave us asleep waiting for the next one.
  while (ticks < n)
    asm volatile("sti\n\thlt\n\tcli" : : : "memory");
  kprintf("ticks: %d\n", ticks);
}

static void
system_call(uint32_t n)
{
  // From ring 0 the gate's DPL does not matter; lab 3 calls it from ring 3.
  asm volatile("int $0x80" : "+a"(n) : : "memory");
  kprintf("selftest: back from int 0x80\n");
}

void
lab2_selftest(void)
{
  const char *cmdline = "";
  const char *rest;

  if (bootinfo->flags & MB_INFO_CMDLINE)
    cmdline = (const char *)bootinfo->cmdline;
  for (const char *p = cmdline; *p; ) {
    if (starts_with(p, "trap=", &rest))
      raise_exception(rest);
    else if (starts_with(p, "ticks=", &rest))
      wait_ticks(parse_uint(rest));
    else if (word_is(p, "int80"))
      system_call(42);
    else if (starts_with(p, "int80=", &rest))
      system_call(parse_uint(rest));
    while (*p && *p != ' ')
      p++;
    while (*p == ' ')
      p++;
  }
}
