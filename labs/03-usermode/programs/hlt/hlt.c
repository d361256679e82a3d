// hlt: try to execute HLT. HLT is privileged (CPL 0 only): #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("hlt: pid %d will execute HLT\n", getpid());
  asm volatile("hlt");
  printf("hlt: survived\n");
  return 0;
}
