// Wrappers for the x86 instructions C cannot express: port I/O, loading the
// descriptor-table registers, and stopping the CPU.
#ifndef X86_H
#define X86_H

#include "types.h"

// Port I/O: devices such as the UART sit in a separate 64 KiB I/O address
// space, reached only through IN and OUT.
static inline uint8_t
inb(uint16_t port)
{
  uint8_t data;
  asm volatile("inb %1, %0" : "=a"(data) : "Nd"(port));
  return data;
}

static inline void
outb(uint16_t port, uint8_t data)
{
  asm volatile("outb %0, %1" : : "a"(data), "Nd"(port));
}

// Fill n 32-bit words at dst with value: REP STOSL, one instruction for the
// whole run (clearing a page this way is 1 instruction, not 4096 loop turns).
static inline void
stosl(void *dst, uint32_t value, uint32_t n)
{
  asm volatile("cld; rep stosl" : "+D"(dst), "+c"(n) : "a"(value) : "memory", "cc");
}

// Copy n bytes from src to dst (the ranges must not overlap): REP MOVSB.
static inline void
movsb(void *dst, const void *src, uint32_t n)
{
  asm volatile("cld; rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

// LGDT takes a 6-byte pseudo-descriptor: a 16-bit limit (size - 1) followed
// by the 32-bit linear address of the table.
struct pseudodesc {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

static inline void
lgdt(void *table, uint16_t size)
{
  struct pseudodesc pd = { (uint16_t)(size - 1), (uint32_t)table };
  asm volatile("lgdt %0" : : "m"(pd));
}

// The visible part of a segment register is its selector. (The base, limit
// and rights the CPU actually uses sit in a hidden cache, filled when the
// register is loaded.)
static inline uint16_t
read_cs(void)
{
  uint16_t v;
  asm volatile("mov %%cs, %0" : "=r"(v));
  return v;
}

static inline uint16_t
read_ds(void)
{
  uint16_t v;
  asm volatile("mov %%ds, %0" : "=r"(v));
  return v;
}

static inline uint16_t
read_ss(void)
{
  uint16_t v;
  asm volatile("mov %%ss, %0" : "=r"(v));
  return v;
}

static inline void
cli(void)
{
  asm volatile("cli");
}

static inline void
hlt(void)
{
  asm volatile("hlt");
}

// LIDT takes the same 6-byte pseudo-descriptor as LGDT (lab 2).
static inline void
lidt(void *table, uint16_t size)
{
  struct pseudodesc pd = { (uint16_t)(size - 1), (uint32_t)table };
  asm volatile("lidt %0" : : "m"(pd));
}

static inline void
sti(void)
{
  asm volatile("sti");
}

// CR2 holds the linear address a page fault was about.
static inline uint32_t
rcr2(void)
{
  uint32_t v;
  asm volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}

// Control registers (lab 3). CR0.PG turns paging on; CR0.WP makes read-only
// pages read-only for ring 0 too; CR3 holds the page directory's physical
// address, and loading it empties the TLB; CR4.PSE allows 4 MiB pages.
#define CR0_WP   0x00010000
#define CR0_PG   0x80000000
#define CR4_PSE  0x00000010

static inline uint32_t
rcr0(void)
{
  uint32_t v;
  asm volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static inline void
lcr0(uint32_t v)
{
  asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline void
lcr3(uint32_t v)
{
  asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t
rcr4(void)
{
  uint32_t v;
  asm volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

static inline void
lcr4(uint32_t v)
{
  asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

// INVLPG drops the TLB's translation of the page holding va (lab 4): needed
// whenever a mapping of the address space in CR3 changes or goes away, since
// the CPU may go on using what it cached (SDM 4.10.4.1).
static inline void
invlpg(uint32_t va)
{
  asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

// LTR loads the task register with a TSS selector: from then on the CPU
// finds SS0:ESP0 there when an interrupt arrives in ring 3 (lab 3).
static inline void
ltr(uint16_t sel)
{
  asm volatile("ltr %0" : : "r"(sel));
}

// Model-specific registers (lab 6): WRMSR writes EDX:EAX to MSR number ECX.
static inline void
wrmsr(uint32_t msr, uint64_t value)
{
  asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

// The time-stamp counter: cycles since reset, in EDX:EAX (lab 6).
static inline uint64_t
rdtsc(void)
{
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

// CPUID leaf `leaf`: EAX, EBX, ECX and EDX as the CPU answers.
static inline void
cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
  asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=1):
// writing v to port 0xF4 ends the machine with exit status (v << 1) | 1.
// The lab PC has the same device, which is how a test run ends.
#define DEBUG_EXIT_PORT 0xF4

static inline void
debug_exit(uint8_t code)
{
  outb(DEBUG_EXIT_PORT, code);
}

#endif
