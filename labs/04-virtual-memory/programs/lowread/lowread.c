// lowread: reads 0x00100000, where the kernel lies in physical memory. Once
// boot.S has dropped its identity map, nothing is mapped there in a process:
// #PF with P=0 (error code 4), not a protection fault.

#include "../lib/vm.h"

int
main(void)
{
  printf("lowread: reading %p\n", (void *)0x00100000);
  volatile uint32_t x = *(volatile uint32_t *)0x00100000;
  printf("lowread: read %x, should have been killed\n", x);
  return 1;
}
