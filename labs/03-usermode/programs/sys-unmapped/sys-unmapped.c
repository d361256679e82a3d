// sys-unmapped: hand write() pointers to pages that are not mapped, inside
// and outside the user window. Each must fail with -EFAULT (-14).

#include "../lib/user.h"

int
main(void)
{
  printf("sys-unmapped: write(NULL) = %d\n", write(1, (const void *)0, 1));
  printf("sys-unmapped: write(unmapped) = %d\n", write(1, (const void *)UNMAPPED, 4));
  printf("sys-unmapped: write(hole in the window) = %d\n", write(1, (const void *)0x08200000, 4));
  printf("sys-unmapped: done\n");
  return 0;
}
