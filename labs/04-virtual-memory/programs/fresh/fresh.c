// fresh: a child fills 64 KiB of heap and 32 KiB of stack with 0xA5 and
// exits; its frames go back to the kernel. Then the parent takes as much new
// heap and stack, most likely in those very frames, and counts the bytes that
// are not zero: a kernel that hands out frames without clearing them lets one
// process read what another left behind.

#include "../lib/vm.h"

#define HEAP  (64 * 1024)
#define STACK (32 * 1024)

static uint32_t
fill_stack(uint8_t value)
{
  volatile uint8_t frame[STACK];
  for (uint32_t i = 0; i < STACK; i++)
    frame[i] = value;
  return frame[STACK / 2];
}

// The frame's top page is the one the process has used all along; the pages
// below it are new.
static uint32_t
nonzero_stack(void)
{
  volatile uint8_t frame[STACK];
  uint32_t bad = 0;
  for (uint32_t i = 0; i < STACK - 4096; i++)
    bad += frame[i] != 0;
  return bad;
}

int
main(void)
{
  int pid = fork();
  if (pid == 0) {
    uint8_t *heap = sbrk(HEAP);
    for (uint32_t i = 0; i < HEAP; i++)
      heap[i] = 0xA5;
    exit(fill_stack(0xA5) == 0xA5 ? 0 : 1);
  }
  int status = -1;
  wait(&status);
  uint8_t *heap = sbrk(HEAP);
  uint32_t bad = 0;
  for (uint32_t i = 0; i < HEAP; i++)
    bad += heap[i] != 0;
  bad += nonzero_stack();
  printf("fresh: child exited with %d; new heap and stack after it, %u nonzero bytes\n", status, bad);
  return 0;
}
