// int20: try to raise the timer interrupt with INT $0x20. INT n checks CPL <= the gate's DPL; gate 0x20 has DPL 0: #GP with error code 0x20 * 8 + 2 (IDT bit) = 0x102.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("int20: pid %d will raise the timer interrupt with INT $0x20\n", getpid());
  asm volatile("int $0x20");
  printf("int20: survived\n");
  return 0;
}
