// stack-jump: a function with a 48 KiB local array writes its lowest byte
// first, a dozen pages below anything mapped; the kernel must grow the stack
// where the fault is (within the limit), not only by the page next to it.

#include "../lib/vm.h"

#define BIG (48 * 1024)

static uint32_t
jump(void)
{
  volatile uint8_t frame[BIG];
  frame[0] = 7;
  for (uint32_t i = 1; i < BIG; i++)
    frame[i] = (uint8_t)i;
  uint32_t sum = 0;
  for (uint32_t i = 0; i < BIG; i += 4096)
    sum += frame[i];
  return sum;
}

int
main(void)
{
  printf("stack-jump: 48 KiB frame touched from its bottom, sum %u\n", jump());
  return 0;
}
