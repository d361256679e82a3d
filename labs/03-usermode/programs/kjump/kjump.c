// kjump: try to jump into the kernel's code. Fetching an instruction from a supervisor page in ring 3: #PF at the target, error code 5.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("kjump: pid %d will jump into the kernel's code\n", getpid());
  ((void (*)(void))KERNEL_TEXT)();
  printf("kjump: survived\n");
  return 0;
}
