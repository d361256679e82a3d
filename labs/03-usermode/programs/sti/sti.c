// sti: try to execute STI. STI in ring 3 with IOPL 0: #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("sti: pid %d will execute STI\n", getpid());
  asm volatile("sti");
  printf("sti: survived\n");
  return 0;
}
