// kwrite: try to write kernel memory. Supervisor-only page, written from ring 3: #PF, error code 7 (P=1 W=1 U=1).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("kwrite: pid %d will write kernel memory\n", getpid());
  *(volatile uint32_t *)KERNEL_TEXT = 0xdeadbeef;
  printf("kwrite: survived\n");
  return 0;
}
