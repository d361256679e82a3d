// cli: try to execute CLI. Clearing IF is the kernel's business: with IOPL 0, CLI in ring 3 is a #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("cli: pid %d will execute CLI\n", getpid());
  asm volatile("cli");
  printf("cli: survived\n");
  return 0;
}
