// ud2: try to execute UD2. UD2 is defined to be invalid: #UD.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("ud2: pid %d will execute UD2\n", getpid());
  asm volatile("ud2");
  printf("ud2: survived\n");
  return 0;
}
