// uread: try to read unmapped memory. Nothing is mapped at UNMAPPED: #PF, error code 4 (P=0 W=0 U=1).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("uread: pid %d will read unmapped memory\n", getpid());
  uint32_t v = *(volatile uint32_t *)UNMAPPED;
  printf("uread: read %p\n", (void *)v);
  printf("uread: survived\n");
  return 0;
}
