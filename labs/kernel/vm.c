// Paging, lab 3's way: one page directory shared by the kernel and every
// process. Its entries for physical RAM map each address to itself with 4 MiB
// pages, supervisor-only, so the kernel sees memory as it did before paging
// and ring 3 cannot touch it. The entry for the user window
// [USER_BASE, USER_TOP) points at the running process's own page table: a
// process switch rewrites that one entry and reloads CR3 to empty the TLB.
// (Lab 4 gives each process a directory of its own.)

#include "kprintf.h"
#include "multiboot.h"
#include "vm.h"
#include "x86.h"

static uint32_t pgdir[1024] __attribute__((aligned(PGSIZE)));

// Physical frames for page tables and user pages come from a bump allocator:
// [next_free, ram_top), never given back (the lab's runs are short).
static uint32_t next_free;
static uint32_t ram_top;

// The page table of the process that owns the user window now.
static uint32_t *current_pgtab;

static void *
alloc_frame(void)
{
  if (next_free + PGSIZE > ram_top)
    panic("out of memory: no free page frame below %p", (void *)ram_top);
  uint8_t *frame = (uint8_t *)next_free;   // identity mapped: physical = linear
  next_free += PGSIZE;
  stosl(frame, 0, PGSIZE / 4);
  return frame;
}

uint32_t *
alloc_page_table(void)
{
  return alloc_frame();
}

// Turn paging on. free_start is the first physical byte after the kernel and
// the modules: everything from there to the end of RAM is free.
void
vm_init(uint32_t free_start)
{
  // mem_upper counts the KiB of RAM above 1 MiB (up to the first hole).
  ram_top = 0x100000 + (bootinfo->mem_upper << 10);
  if (ram_top > USER_BASE)
    ram_top = USER_BASE;                   // the identity map must stay below the user window
  next_free = PGROUNDUP(free_start);

/* BEGIN SOLUTION lab3 */
  // 4 MiB pages need CR4.PSE. No PTE_U: ring 3 gets #PF on any kernel address.
  for (uint32_t pa = 0; pa < ram_top; pa += 0x400000)
    pgdir[PDX(pa)] = pa | PTE_PS | PTE_W | PTE_P;
  lcr4(rcr4() | CR4_PSE);
  lcr3((uint32_t)pgdir);
  // WP: the kernel, too, faults on writes to read-only pages, so it cannot
  // scribble over a program's code on a user's behalf.
  lcr0(rcr0() | CR0_PG | CR0_WP);
/* END SOLUTION */
/* STUDENT lab3: map every 4 MiB of RAM below ram_top to itself in pgdir (present, writable, 4 MiB pages, NOT user), set CR4.PSE, load CR3 with pgdir, then set CR0.PG and CR0.WP */
  kprintf("paging: kernel 0x00000000-%p supervisor-only, user window %p-%p\n",
          (void *)(ram_top - 1), (void *)USER_BASE, (void *)(USER_TOP - 1));
}

// Give the user page at va a frame of its own (zeroed) in pgtab, unless it
// has one; writable asks for a writable mapping. Returns 0, or -1 when va is
// outside the user window.
int
map_user_page(uint32_t *pgtab, uint32_t va, int writable)
{
  if (va < USER_BASE || va >= USER_TOP)
    return -1;
/* BEGIN SOLUTION lab3 */
  uint32_t *pte = &pgtab[PTX(va)];
  if ((*pte & PTE_P) == 0)
    *pte = (uint32_t)alloc_frame() | PTE_U | PTE_P;
  if (writable)
    *pte |= PTE_W;
/* END SOLUTION */
/* STUDENT lab3: find va's entry in pgtab; if it is not present, point it at a fresh frame (alloc_frame), present and user-accessible; make it writable if asked */
  return 0;
}

// Copy len bytes to user address va of the process whose page table is
// pgtab, through the frames' identity-mapped addresses (the process need not
// be the one in the user window). The pages must be mapped. Returns 0 or -1.
int
copy_to_user_page(uint32_t *pgtab, uint32_t va, const void *src, uint32_t len)
{
  const uint8_t *from = src;

  while (len > 0) {
    uint32_t pte = (va >= USER_BASE && va < USER_TOP) ? pgtab[PTX(va)] : 0;
    if ((pte & PTE_P) == 0)
      return -1;
    uint32_t offset = va & (PGSIZE - 1);
    uint32_t n = PGSIZE - offset;
    if (n > len)
      n = len;
    movsb((uint8_t *)(PTE_ADDR(pte) + offset), from, n);
    va += n;
    from += n;
    len -= n;
  }
  return 0;
}

// Put a process's page table into the user window.
void
switch_user_window(uint32_t *pgtab)
{
  current_pgtab = pgtab;
  pgdir[PDX(USER_BASE)] = (uint32_t)pgtab | PTE_U | PTE_W | PTE_P;
  // Reloading CR3 flushes the TLB, which still holds the old process's pages.
  lcr3((uint32_t)pgdir);
}

// May the running process hand the kernel [va, va + len)? Every byte must be
// in the user window, on a page that is present and user-accessible (and
// writable, if the kernel is going to write there). A range that wraps
// around 4 GiB is never valid. This is what keeps a system call from making
// the kernel read its own memory for the user, or fault on a bad pointer.
int
user_range_ok(uint32_t va, uint32_t len, int write)
{
/* BEGIN SOLUTION lab3 */
  if (len == 0)
    return 1;
  uint32_t last = va + len - 1;
  if (last < va)                           // wraps around the top of memory
    return 0;
  if (va < USER_BASE || last >= USER_TOP || current_pgtab == NULL)
    return 0;
  uint32_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
  for (uint32_t page = PGROUNDDOWN(va); ; page += PGSIZE) {
    if ((current_pgtab[PTX(page)] & need) != need)
      return 0;
    if (page == PGROUNDDOWN(last))
      break;
  }
  return 1;
/* END SOLUTION */
/* STUDENT lab3: return 1 only if [va, va + len) does not wrap, lies inside [USER_BASE, USER_TOP), and every page in it is present and user-accessible (and writable if write) in current_pgtab; len 0 is always fine */
  return 0;
}
