// badptr: write() with buffers the process may not hand over: one running
// off its heap's last page into nothing, one in a hole of user space, one at
// address 0, one running off the top of its stack into the kernel's half.
// Each must be -EFAULT (-14), and the kernel must not fault on any of them.

#include "../lib/vm.h"

int
main(void)
{
  char *heap = sbrk(4096);
  for (int i = 0; i < 4096; i++)
    heap[i] = 'x';
  printf("badptr: off the heap's end %d\n", write(1, heap + 4096 - 8, 16));
  printf("badptr: a hole in user space %d\n", write(1, (char *)0x10000000, 4));
  printf("badptr: address 0 %d\n", write(1, (char *)0, 1));
  printf("badptr: off the stack's top %d\n", write(1, (char *)(KERNBASE - 4), 8));
  printf("badptr: the last 8 bytes of the heap %d\n", write(1, heap + 4096 - 8, 8) == 8 ? 8 : -1);
  return 0;
}
