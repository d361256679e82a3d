// kwrite-high: writes the direct map's first page, KERNBASE (physical 0):
// mapped, not user-accessible: #PF with P=1 W=1 U=1 (error code 7).

#include "../lib/vm.h"

int
main(void)
{
  printf("kwrite-high: writing %p\n", (void *)KERNBASE);
  *(volatile uint32_t *)KERNBASE = 0x12345678;
  printf("kwrite-high: wrote, should have been killed\n");
  return 1;
}
