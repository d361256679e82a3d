// kread: try to read kernel memory. The kernel's pages are present but supervisor-only: #PF, error code 5 (P=1 W=0 U=1).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("kread: pid %d will read kernel memory\n", getpid());
  uint32_t v = *(volatile uint32_t *)KERNEL_TEXT;
  printf("kread: read %p\n", (void *)v);
  printf("kread: survived\n");
  return 0;
}
