// kread-high: reads the kernel's code at 0xC0100000, which is mapped in every
// process but not user-accessible: #PF with P=1 U=1 (error code 5).

#include "../lib/vm.h"

int
main(void)
{
  printf("kread-high: reading %p\n", (void *)(KERNBASE + 0x100000));
  volatile uint32_t x = *(volatile uint32_t *)(KERNBASE + 0x100000);
  printf("kread-high: read %x, should have been killed\n", x);
  return 1;
}
