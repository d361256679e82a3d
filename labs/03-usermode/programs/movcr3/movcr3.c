// movcr3: try to load CR3. Moves to and from control registers are privileged: #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("movcr3: pid %d will load CR3\n", getpid());
  asm volatile("mov %0, %%cr3" : : "r"(0));
  printf("movcr3: survived\n");
  return 0;
}
