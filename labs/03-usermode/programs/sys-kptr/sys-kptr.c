// sys-kptr: hand write() pointers into the kernel. Each must fail with
// -EFAULT (-14) and print nothing; the process carries on and exits with 0.

#include "../lib/user.h"

int
main(void)
{
  printf("sys-kptr: write(kernel text) = %d\n", write(1, (const void *)KERNEL_TEXT, 16));
  printf("sys-kptr: write(multiboot info) = %d\n", write(1, (const void *)0x00010000, 8));
  printf("sys-kptr: write(ending in the user window) = %d\n", write(1, (const void *)0x07fffff8, 16));
  printf("sys-kptr: write(top of memory) = %d\n", write(1, (const void *)0xfffffff0, 16));
  printf("sys-kptr: done\n");
  return 0;
}
