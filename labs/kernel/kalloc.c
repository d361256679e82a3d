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
// How many page-table entries (or kernel owners) hold each frame: fork with
// copy-on-write lets several processes map one frame, which goes back to the
// free list only when the last of them lets go. 0 for a free frame.
static uint8_t refs[PHYSTOP / PGSIZE];

static uint8_t *
refs_of(void *frame)
{
  uint32_t pa = V2P(frame);
  if ((pa & (PGSIZE - 1)) != 0 || pa < first_free || pa >= ram_top)
    panic("kalloc: %p is not a frame the allocator gives out", frame);
  return &refs[pa / PGSIZE];
}

static void
push_free(void *frame)
{
  struct run *r = frame;
  r->next = freelist;
  freelist = r;
  nfree++;
}

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
      push_free(P2V(pa));
  }
}

// A zeroed frame, as its direct-map address, with one reference; NULL when
// none is left. Zeroed, so nothing of the process that had it before leaks.
void *
kalloc(void)
{
  struct run *r = freelist;
  if (r == NULL)
    return NULL;
  freelist = r->next;
  nfree--;
  *refs_of(r) = 1;
  stosl(r, 0, PGSIZE / 4);
  return r;
}

// Drop one reference to a frame kalloc gave out (its direct-map address);
// the last one puts it back on the free list.
void
kfree(void *frame)
{
  uint8_t *n = refs_of(frame);
  if (*n == 0)
    panic("kfree: %p is already free", frame);
  if (--*n == 0)
    push_free(frame);
}

// One more reference to a frame in use (a page shared after fork).
void
kref(void *frame)
{
  uint8_t *n = refs_of(frame);
  if (*n == 0 || *n == 255)
    panic("kref: %p has %u references", frame, *n);
  ++*n;
}

// How many hold the frame: 1 means the holder may write it in place.
uint32_t
krefs(void *frame)
{
  return *refs_of(frame);
}

uint32_t
free_frames(void)
{
  return nfree;
}
/* END SOLUTION */
/* STUDENT lab4: a frame allocator over the memory map's usable regions above free_start: kinit, kalloc (a zeroed frame's direct-map address, NULL when none is left), kfree, and free_frames (how many are free); for copy-on-write (the stretch goal), a reference count per frame (kref, krefs) so that kfree frees only the last reference */
