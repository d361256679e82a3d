// text-ro: writes its own code, which the kernel maps read-only: #PF with
// P=1 W=1 U=1 (error code 7).

#include "../lib/vm.h"

int
main(void)
{
  printf("text-ro: writing %p\n", (void *)main);
  *(volatile uint8_t *)main = 0xC3;
  printf("text-ro: wrote, should have been killed\n");
  return 1;
}
