// int3: try to execute INT3. INT3 is checked against the gate's DPL like INT n; gate 3 has DPL 0 in this kernel: #GP(3 * 8 + 2 = 0x1a), not #BP.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("int3: pid %d will execute INT3\n", getpid());
  asm volatile("int3");
  printf("int3: survived\n");
  return 0;
}
