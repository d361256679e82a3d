// The GDT. Segmentation cannot be turned off in protected mode: every memory
// access goes through a segment register, and every segment register holds a
// selector that names a descriptor in this table. We use segments only for
// what paging cannot do, giving each one base 0 and a 4 GiB limit (a "flat"
// model) and letting the descriptors carry the privilege levels: CS's DPL is
// the privilege the CPU runs at (CPL), and the TSS tells the CPU which stack
// to use when something pulls it from ring 3 into ring 0.

#include "gdt.h"
#include "x86.h"

struct segdesc gdt[NSEGS];

// Zeroed until lab 3 stores the kernel stack (esp0, ss0) in it.
struct tss tss;

_Static_assert(sizeof(struct segdesc) == 8, "a segment descriptor is 8 bytes");
_Static_assert(sizeof(struct tss) == 104, "a 32-bit TSS is 104 bytes");

/* BEGIN SOLUTION lab1 */
// A 32-bit code or data segment with page granularity: the limit is counted
// in 4 KiB units, so limit 0xFFFFF covers all 4 GiB.
static struct segdesc
segment(uint32_t base, uint32_t limit, int type, int dpl)
{
  struct segdesc d;

  limit >>= 12;
  d.limit_lo = limit & 0xFFFF;
  d.base_lo = base & 0xFFFF;
  d.base_mid = (base >> 16) & 0xFF;
  d.access = SEG_ACCESS_P | (dpl << 5) | SEG_ACCESS_S | type;
  d.limit_hi_flags = SEG_FLAG_G | SEG_FLAG_DB | ((limit >> 16) & 0xF);
  d.base_hi = base >> 24;
  return d;
}

// A system segment (here the TSS), whose limit is counted in bytes.
static struct segdesc
system_segment(uint32_t base, uint32_t limit, int type, int dpl)
{
  struct segdesc d;

  d.limit_lo = limit & 0xFFFF;
  d.base_lo = base & 0xFFFF;
  d.base_mid = (base >> 16) & 0xFF;
  d.access = SEG_ACCESS_P | (dpl << 5) | type;
  d.limit_hi_flags = (limit >> 16) & 0xF;
  d.base_hi = base >> 24;
  return d;
}

// The loader's CS, DS, ES, FS, GS and SS still hold descriptors copied from the
// loader's own GDT, somewhere in memory we do not own. Loading a segment
// register is what makes the CPU read our table: CS can only be loaded by a
// far control transfer, the others by MOV.
static void
reload_segments(void)
{
  asm volatile("ljmp %0, $1f\n"
               "1:"
               : : "i"(KCODE_SEL));
  asm volatile("movw %w0, %%ds\n"
               "movw %w0, %%es\n"
               "movw %w0, %%fs\n"
               "movw %w0, %%gs\n"
               "movw %w0, %%ss"
               : : "r"(KDATA_SEL));
}
/* END SOLUTION */
/* STUDENT lab1: helpers that build a code/data descriptor and a system (TSS) descriptor, and one that reloads CS (far jump) and the data segment registers */

void
gdt_init(void)
{
/* BEGIN SOLUTION lab1 */
  // The access rights live in the type bits; STA_W and STA_R let the kernel
  // write data and read constants that sit in code.
  gdt[SEG_NULL] = (struct segdesc){ 0 };
  gdt[SEG_KCODE] = segment(0, 0xFFFFFFFF, STA_X | STA_R, DPL_KERNEL);
  gdt[SEG_KDATA] = segment(0, 0xFFFFFFFF, STA_W, DPL_KERNEL);
  gdt[SEG_UCODE] = segment(0, 0xFFFFFFFF, STA_X | STA_R, DPL_USER);
  gdt[SEG_UDATA] = segment(0, 0xFFFFFFFF, STA_W, DPL_USER);
  gdt[SEG_TSS] = system_segment((uint32_t)&tss, sizeof(tss) - 1, STS_T32A, DPL_KERNEL);

  lgdt(gdt, sizeof(gdt));
  reload_segments();
/* END SOLUTION */
/* STUDENT lab1: fill gdt[] (null, kernel code, kernel data, user code, user data: base 0, limit 4 GiB; the TSS descriptor), load it with lgdt, reload CS and the data segment registers */
}
