// sbrk-shrink: grows the heap by a page, writes it, gives the page back with
// sbrk(-4096) and reads it again. The page is gone: a page fault kills the
// process, unless the kernel forgot INVLPG and the TLB still maps the frame.

#include "../lib/vm.h"

int
main(void)
{
  volatile int *page = sbrk(4096);
  *page = 1234;
  printf("sbrk-shrink: wrote %d at %p\n", *page, (void *)page);
  sbrk(-4096);
  printf("sbrk-shrink: page given back, reading it\n");
  printf("sbrk-shrink: read %d, should have been killed\n", *page);
  return 1;
}
