// die-rich: a process with children, a grown heap and a grown stack is
// killed by a fault; everything it held goes back, and its orphaned children
// run to their ends.

#include "../lib/vm.h"

static uint32_t
deep(uint32_t n)
{
  volatile uint8_t frame[1024];
  frame[0] = (uint8_t)n;
  if (n == 0)
    return *(volatile uint32_t *)UNMAPPED;  // faults: nothing is mapped there
  return deep(n - 1) + frame[0];
}

int
main(void)
{
  for (int k = 0; k < 3; k++) {
    if (fork() == 0) {
      char *heap = sbrk(16384);
      heap[16383] = 1;
      yield();
      yield();
      printf("die-rich: orphan %d done\n", k);
      exit(k);
    }
  }
  char *heap = sbrk(65536);
  heap[0] = heap[65535] = 1;
  return deep(40);
}
