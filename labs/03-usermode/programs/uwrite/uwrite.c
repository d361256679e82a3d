// uwrite: try to write unmapped memory. A write to a page that is not there: #PF, error code 6 (P=0 W=1 U=1).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("uwrite: pid %d will write unmapped memory\n", getpid());
  *(volatile uint32_t *)UNMAPPED = 1;
  printf("uwrite: survived\n");
  return 0;
}
