// stack-grow: uses 128 KiB of stack, far more than the one page a process
// starts with; the kernel maps the pages below as they are touched.

#include "../lib/vm.h"

static uint32_t
depth(uint32_t n)
{
  volatile uint8_t frame[1024];
  frame[0] = (uint8_t)n;
  frame[sizeof(frame) - 1] = (uint8_t)n;
  if (n == 0)
    return frame[0];
  return depth(n - 1) + frame[sizeof(frame) - 1];
}

int
main(void)
{
  uint32_t sum = depth(128);
  printf("stack-grow: 128 KiB of stack, sum %u\n", sum);
  return 0;
}
