// iret0: try to IRET into ring 0. IRET may not return to a more privileged ring: the return CS 0x08 has RPL 0 < CPL 3, #GP(0x08).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("iret0: pid %d will IRET into ring 0\n", getpid());
  asm volatile("pushfl\n\t"
               "pushl $0x08\n\t"
               "pushl $0x00100000\n\t"
               "iret");
  printf("iret0: survived\n");
  return 0;
}
