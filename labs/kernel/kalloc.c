// Physical page frames (lab 4). Every usable frame of the memory map above
// the kernel and the modules waits on a free list, linked through its own
// first word, which the kernel reads and writes at the frame's direct-map
// address. Frames come back when a process ends, so memory does not run out
// however many processes come and go.

#include "kprintf.h"
#include "memlayout.h"
#include "multiboot.h"
#include "vm.h"
#include "x86.h"

/* BEGIN SOLUTION lab4 */
struct run {
  struct run *next;
};

static struct run *freelist;
static uint32_t nfree;
// The frames kfree takes back: [first_free, ram_top), physical.
static uint32_t first_free, ram_top;

// Put every frame of the memory map's usable regions in [free_start, top)
// on the free list. The direct map must cover them already.
void
kinit(uint32_t free_start, uint32_t top)
{
  first_free = PGROUNDUP(free_start);
  ram_top = top;
  uint32_t end = bootinfo->mmap_addr + bootinfo->mmap_length;
  for (uint32_t at = bootinfo->mmap_addr; at < end; ) {
    struct multiboot_mmap_entry *e = (struct multiboot_mmap_entry *)at;
    at += e->size + sizeof(e->size);
    if (e->type != MB_MEMORY_AVAILABLE || (e->base >> 32) != 0)
      continue;
    uint64_t last = e->base + e->length;
    uint32_t from = PGROUNDUP((uint32_t)e->base);
    uint32_t to = last > top ? top : PGROUNDDOWN((uint32_t)last);
    if (from < first_free)
      from = first_free;
    for (uint32_t pa = from; pa < to; pa += PGSIZE)
      kfree(P2V(pa));
  }
}

// A zeroed frame, as its direct-map address; NULL when none is left.
void *
kalloc(void)
{
  struct run *r = freelist;
  if (r == NULL)
    return NULL;
  freelist = r->next;
  nfree--;
  stosl(r, 0, PGSIZE / 4);
  return r;
}

// Take back a frame kalloc gave out (its direct-map address).
void
kfree(void *frame)
{
  uint32_t pa = V2P(frame);
  if ((pa & (PGSIZE - 1)) != 0 || pa < first_free || pa >= ram_top)
    panic("kfree: %p is not a frame the allocator gave out", frame);
  struct run *r = frame;
  r->next = freelist;
  freelist = r;
  nfree++;
}

uint32_t
free_frames(void)
{
  return nfree;
}
/* END SOLUTION */
/* STUDENT lab4: a frame allocator over the memory map's usable regions above free_start: kinit, kalloc (a zeroed frame's direct-map address, NULL when none is left), kfree, and free_frames (how many are free) */
