// Paging. Lab 3's way: one page directory shared by the kernel and every
// process. Its entries for physical RAM map each address to itself with 4 MiB
// pages, supervisor-only, so the kernel sees memory as it did before paging
// and ring 3 cannot touch it. The entry for the user window
// [USER_BASE, USER_TOP) points at the running process's own page table: a
// process switch rewrites that one entry and reloads CR3 to empty the TLB.
//
// Lab 4's way: every process has a page directory of its own, its 4 GiB split
// in two. Entries 0-767 map the process's user space [0, TASK_SIZE) with page
// tables of its own; entries 768-1023 are the kernel's, the same in every
// directory: they point at one set of kernel page tables, made once at boot,
// which map all RAM at KERNBASE + physical (the direct map), supervisor-only.
// Because the tables are shared rather than copied, a mapping the kernel adds
// later is seen by every process at once. A process switch loads CR3 with the
// next process's directory, which also empties the TLB.

#include "fastcall.h"
#include "kprintf.h"
#include "memlayout.h"
#include "multiboot.h"
#include "vm.h"
#include "x86.h"

/* BEGIN SOLUTION lab4 */
// The kernel's half: its directory (used when no process runs) and the 256
// page tables behind entries 768-1023 of every directory. Static, so they lie
// in the kernel image, inside the 4 MiB that boot.S maps: vm_init can fill
// them before the direct map exists.
static uint32_t kpgdir[1024] __attribute__((aligned(PGSIZE)));
static uint32_t kpgtabs[1024 - PDX(KERNBASE)][1024] __attribute__((aligned(PGSIZE)));

// The directory in CR3.
static uint32_t *current_pgdir;

extern char etext[];          // kernel.ld: the end of the kernel's code and read-only data

// The end of RAM the direct map covers: the highest usable byte of the
// memory map, at most PHYSTOP.
static uint32_t
find_ram_top(void)
{
  uint32_t top = 0;
  uint32_t end = bootinfo->mmap_addr + bootinfo->mmap_length;
  for (uint32_t at = bootinfo->mmap_addr; at < end; ) {
    struct multiboot_mmap_entry *e = (struct multiboot_mmap_entry *)at;
    if (e->type == MB_MEMORY_AVAILABLE && (e->base >> 32) == 0) {
      uint64_t last = e->base + e->length;
      uint32_t region_top = last > PHYSTOP ? PHYSTOP : (uint32_t)last;
      if (region_top > top)
        top = region_top;
    }
    at += e->size + sizeof(e->size);
  }
  return PGROUNDDOWN(top);
}

// Build the kernel's half, switch to it (boot.S's directory goes out of use),
// and hand every free frame to the allocator. free_start is the first
// physical byte after the kernel and the modules.
void
vm_init(uint32_t free_start)
{
  uint32_t ram_top = find_ram_top();

  // No PTE_U at either level: ring 3 gets #PF on every kernel address.
  for (uint32_t pdx = PDX(KERNBASE); pdx < 1024; pdx++)
    kpgdir[pdx] = V2P(kpgtabs[pdx - PDX(KERNBASE)]) | PTE_W | PTE_P;
  for (uint32_t pa = 0; pa < ram_top; pa += PGSIZE) {
    uint32_t va = (uint32_t)P2V(pa);
    // The kernel's code is read-only, for the kernel too (CR0.WP).
    uint32_t writable = (va >= KERNLINK && va < (uint32_t)etext) ? 0 : PTE_W;
    kpgtabs[PDX(va) - PDX(KERNBASE)][PTX(va)] = pa | writable | PTE_P;
  }
  switch_kernel_space();
  kinit(free_start, ram_top);
  kprintf("paging: kernel %p-%p maps physical 0-%p, user space 0-%p\n",
          (void *)KERNBASE, (void *)(KERNBASE + ram_top - 1), (void *)(ram_top - 1), (void *)(TASK_SIZE - 1));
  kprintf("free frames: %u\n", free_frames());
}

// The page-table entry for user address va in pgdir, making the page table
// if alloc says so; NULL when there is none (or no frame for one).
static uint32_t *
walk(uint32_t *pgdir, uint32_t va, int alloc)
{
  uint32_t *pde = &pgdir[PDX(va)];
  uint32_t *pgtab;

  if (*pde & PTE_P) {
    pgtab = P2V(PTE_ADDR(*pde));
  } else {
    if (!alloc || (pgtab = kalloc()) == NULL)
      return NULL;
    // The directory entry lets everything through; each page's entry decides.
    *pde = V2P(pgtab) | PTE_U | PTE_W | PTE_P;
  }
  return &pgtab[PTX(va)];
}

// A new address space: nothing in user space, the kernel's half shared.
uint32_t *
pgdir_create(void)
{
  uint32_t *pgdir = kalloc();
  if (pgdir == NULL)
    return NULL;
  for (uint32_t pdx = PDX(KERNBASE); pdx < 1024; pdx++)
    pgdir[pdx] = kpgdir[pdx];
/* BEGIN SOLUTION lab6 */
  if (map_vdso(pgdir) != 0) {
    kfree(pgdir);
    return NULL;
  }
/* END SOLUTION */
/* STUDENT lab6: map the vDSO into every new address space (map_vdso) */
  return pgdir;
}

/* BEGIN SOLUTION lab6 */
// The page-table entry for user address va in pgdir, making the page table
// if need be; NULL without a frame for one. For map_vdso.
uint32_t *
user_pte(uint32_t *pgdir, uint32_t va)
{
  return walk(pgdir, va, 1);
}
/* END SOLUTION */
/* STUDENT lab6: user_pte(pgdir, va): walk's entry for va, making the page table */

// Give back every frame of an address space: its user pages, its page tables
// and the directory. The kernel's tables are shared and stay. pgdir must not
// be in CR3.
void
pgdir_free(uint32_t *pgdir)
{
  for (uint32_t pdx = 0; pdx < PDX(TASK_SIZE); pdx++) {
    if ((pgdir[pdx] & PTE_P) == 0)
      continue;
    uint32_t *pgtab = P2V(PTE_ADDR(pgdir[pdx]));
    for (uint32_t ptx = 0; ptx < 1024; ptx++) {
/* BEGIN SOLUTION lab6 */
      if (pgtab[ptx] & PTE_SHARED)         // the vDSO: not the process's to free
        continue;
/* END SOLUTION */
/* STUDENT lab6: leave PTE_SHARED pages (the vDSO) alone: they are not the process's */
      if (pgtab[ptx] & PTE_P)
        kfree(P2V(PTE_ADDR(pgtab[ptx])));
    }
    kfree(pgtab);
  }
  kfree(pgdir);
}

// Give the user page at va a frame of its own (zeroed) in pgdir, unless it
// has one; writable asks for a writable mapping. Returns 0, or -1 when va is
// not in user space or there is no frame left.
int
map_user_page(uint32_t *pgdir, uint32_t va, int writable)
{
  if (va >= TASK_SIZE)
    return -1;
  uint32_t *pte = walk(pgdir, va, 1);
  if (pte == NULL)
    return -1;
/* BEGIN SOLUTION lab6 */
  // Neither the heap nor a program's segment may take over the vDSO's page.
  if (*pte & PTE_SHARED)
    return -1;
/* END SOLUTION */
/* STUDENT lab6: refuse (return -1) a PTE_SHARED page: the vDSO is nobody's to map over */
  if ((*pte & PTE_P) == 0) {
    void *frame = kalloc();
    if (frame == NULL)
      return -1;
    *pte = V2P(frame) | PTE_U | PTE_P;
  }
  if (writable && (*pte & PTE_COW))
    return cow_fault(pgdir, va);
  if (writable && (*pte & PTE_W) == 0) {
    *pte |= PTE_W;
    // The TLB may hold the read-only translation.
    if (pgdir == current_pgdir)
      invlpg(va);
  }
  return 0;
}

// Remove the user page at va, if there is one, and drop its frame.
void
unmap_user_page(uint32_t *pgdir, uint32_t va)
{
  uint32_t *pte = walk(pgdir, va, 0);
  if (pte == NULL || (*pte & PTE_P) == 0)
    return;
  kfree(P2V(PTE_ADDR(*pte)));
  *pte = 0;
  // Without this the process could go on using the frame through the TLB
  // after it has gone to someone else.
  if (pgdir == current_pgdir)
    invlpg(va);
}

// A write to the copy-on-write page at va of pgdir: give the writer a frame it
// may write. The last holder of a frame keeps it and only gets write access
// back; the others get a private copy. Returns 0, or -1 when va is not a
// copy-on-write page or no frame is left for the copy.
int
cow_fault(uint32_t *pgdir, uint32_t va)
{
  uint32_t *pte = va < TASK_SIZE ? walk(pgdir, va, 0) : NULL;
  if (pte == NULL || (*pte & (PTE_P | PTE_COW)) != (PTE_P | PTE_COW))
    return -1;
  void *frame = P2V(PTE_ADDR(*pte));
  if (krefs(frame) == 1) {
    *pte = (*pte | PTE_W) & ~PTE_COW;
  } else {
    void *copy = kalloc();
    if (copy == NULL)
      return -1;
    movsb(copy, frame, PGSIZE);
    kfree(frame);
    *pte = V2P(copy) | PTE_U | PTE_W | PTE_P;
  }
  if (pgdir == current_pgdir)
    invlpg(va);
  return 0;
}

// Give dst (which has no user space yet) src's user space, copy-on-write:
// both map each of src's frames, read-only; a page that was writable is
// marked PTE_COW so that the first write to it, in either, copies it
// (cow_fault). Read-only pages (code) are simply shared. Returns 0, or -1
// when frames for dst's page tables run out (what was shared stays in dst
// for pgdir_free).
int
pgdir_copy(uint32_t *dst, uint32_t *src)
{
  for (uint32_t pdx = 0; pdx < PDX(TASK_SIZE); pdx++) {
    if ((src[pdx] & PTE_P) == 0)
      continue;
    uint32_t *pgtab = P2V(PTE_ADDR(src[pdx]));
    for (uint32_t ptx = 0; ptx < 1024; ptx++) {
      if ((pgtab[ptx] & PTE_P) == 0)
        continue;
/* BEGIN SOLUTION lab6 */
      // The vDSO is in dst already (pgdir_create), and not src's to share.
      if (pgtab[ptx] & PTE_SHARED)
        continue;
/* END SOLUTION */
/* STUDENT lab6: skip PTE_SHARED pages (the vDSO): the child has its own mapping of it */
      uint32_t va = (pdx << 22) | (ptx << 12);
      uint32_t *pte = walk(dst, va, 1);
      if (pte == NULL)
        return -1;
      if (pgtab[ptx] & PTE_W)
        pgtab[ptx] = (pgtab[ptx] & ~PTE_W) | PTE_COW;
      *pte = pgtab[ptx];
      kref(P2V(PTE_ADDR(pgtab[ptx])));
    }
  }
  // src's pages were writable a moment ago, and its TLB may still say so: a
  // write through such a stale entry would reach dst's page too.
  if (src == current_pgdir)
    lcr3(V2P(src));
  return 0;
}

// Copy len bytes to user address va of the address space pgdir, through the
// direct map (pgdir need not be the one in CR3). The pages must be mapped.
// Returns 0 or -1.
int
copy_to_user_page(uint32_t *pgdir, uint32_t va, const void *src, uint32_t len)
{
  const uint8_t *from = src;

  while (len > 0) {
    uint32_t *pte = va < TASK_SIZE ? walk(pgdir, va, 0) : NULL;
    if (pte == NULL || (*pte & PTE_P) == 0)
      return -1;
    // The kernel writes through the direct map, where no fault would copy a
    // shared page for it: copy it first.
    if ((*pte & PTE_COW) && cow_fault(pgdir, PGROUNDDOWN(va)) != 0)
      return -1;
    uint32_t offset = va & (PGSIZE - 1);
    uint32_t n = PGSIZE - offset;
    if (n > len)
      n = len;
    movsb((uint8_t *)P2V(PTE_ADDR(*pte)) + offset, from, n);
    va += n;
    from += n;
    len -= n;
  }
  return 0;
}

// Run in the address space pgdir from now on. Loading CR3 empties the TLB of
// the previous one's translations.
void
switch_address_space(uint32_t *pgdir)
{
  current_pgdir = pgdir;
  lcr3(V2P(pgdir));
}

// The kernel's own directory: for when no process's address space may stay
// in CR3 (the one about to be freed).
void
switch_kernel_space(void)
{
  switch_address_space(kpgdir);
}

// May the running process hand the kernel [va, va + len)? Every byte must be
// in user space, below TASK_SIZE, on a page that is present and
// user-accessible (and writable, if the kernel is going to write there). A
// range that wraps around 4 GiB is never valid. This is what keeps a system
// call from making the kernel read its own memory for the user, or fault on
// a bad pointer.
int
user_range_ok(uint32_t va, uint32_t len, int write)
{
  if (len == 0)
    return 1;
  uint32_t last = va + len - 1;
  if (last < va || last >= TASK_SIZE)
    return 0;
  for (uint32_t page = PGROUNDDOWN(va); ; page += PGSIZE) {
    uint32_t *pte = walk(current_pgdir, page, 0);
    if (pte == NULL || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
      return 0;
    // A copy-on-write page is writable for its process: the copy comes when
    // the kernel writes it (copy_to_user_page).
    if (write && (*pte & (PTE_W | PTE_COW)) == 0)
      return 0;
    if (page == PGROUNDDOWN(last))
      break;
  }
  return 1;
}
/* BEFORE lab4 */
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
/* END SOLUTION */
/* STUDENT lab4: give every process a page directory of its own: the kernel's half (entries 768-1023) pointing at one set of kernel page tables that map all RAM at KERNBASE + physical, made once in vm_init; the user half built page by page; CR3 switched with the process; user_range_ok checking against TASK_SIZE */
