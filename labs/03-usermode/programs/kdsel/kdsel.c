// kdsel: try to load the kernel data selector into DS. A data segment load checks max(CPL, RPL) <= DPL; the kernel data segment has DPL 0: #GP(0x10).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("kdsel: pid %d will load the kernel data selector into DS\n", getpid());
  asm volatile("movw %w0, %%ds" : : "r"(0x10));
  printf("kdsel: survived\n");
  return 0;
}
