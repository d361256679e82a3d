// kcsjmp: try to far-jump to the kernel code selector. A far JMP to a non-conforming code segment needs DPL = CPL: #GP(0x08).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("kcsjmp: pid %d will far-jump to the kernel code selector\n", getpid());
  asm volatile("ljmp $0x08, $0x00100000");
  printf("kcsjmp: survived\n");
  return 0;
}
