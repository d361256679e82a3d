// sys-hugelen: a valid buffer with lengths that run past it: off the mapped
// pages, past the top of the window, around the top of memory. Each must
// fail with -EFAULT (-14); a length that fits works.

#include "../lib/user.h"

static const char msg[] = "ok\n";

int
main(void)
{
  printf("sys-hugelen: write(len 0x10000) = %d\n", write(1, msg, 0x10000));
  printf("sys-hugelen: write(len 0x80000000) = %d\n", write(1, msg, 0x80000000u));
  printf("sys-hugelen: write(len 0xffffffff) = %d\n", write(1, msg, 0xffffffffu));
  printf("sys-hugelen: write(len 3) = %d\n", write(1, msg, 3));
  printf("sys-hugelen: write(len 0) = %d\n", write(1, msg, 0));
  printf("sys-hugelen: done\n");
  return 0;
}
