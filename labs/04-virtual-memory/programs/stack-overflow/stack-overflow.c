// stack-overflow: recursion without end. The stack grows to its limit
// (256 KiB), and the next page down is a fault that kills the process.

#include "../lib/vm.h"

static uint32_t
down(uint32_t n)
{
  volatile uint8_t frame[4096];
  frame[0] = (uint8_t)n;
  if (n == 0xFFFFFFFF)        // never: only so that the compiler sees an end
    return 0;
  return down(n + 1) + frame[0];
}

int
main(void)
{
  printf("stack-overflow: going down\n");
  return (int)down(0);
}
