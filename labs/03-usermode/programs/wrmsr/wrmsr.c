// wrmsr: try to write a model-specific register. WRMSR is privileged: #GP(0). (MSR 0x10 is the time-stamp counter.)
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("wrmsr: pid %d will write a model-specific register\n", getpid());
  asm volatile("wrmsr" : : "c"(0x10), "a"(0), "d"(0));
  printf("wrmsr: survived\n");
  return 0;
}
