// fork-grow: after fork the child moves its own heap end and grows its own
// stack; the parent's heap end, heap contents and stack stay as they were.

#include "../lib/vm.h"

static uint32_t
deep(uint32_t n)
{
  volatile uint8_t frame[1024];
  frame[0] = (uint8_t)n;
  if (n == 0)
    return 0;
  return deep(n - 1) + frame[0];
}

int
main(void)
{
  uint8_t *heap = sbrk(8192);
  for (uint32_t i = 0; i < 8192; i++)
    heap[i] = 'p';
  int pid = fork();
  if (pid == 0) {
    uint8_t *more = sbrk(16384);
    for (uint32_t i = 0; i < 16384; i++)
      more[i] = 'c';
    for (uint32_t i = 0; i < 8192; i++)
      heap[i] = 'c';
    uint32_t sum = deep(64);
    printf("fork-grow: child moved its heap end by 16384 and used 64 KiB of stack (sum %u)\n", sum);
    exit(3);
  }
  int status = -1;
  wait(&status);
  uint32_t others = 0;
  for (uint32_t i = 0; i < 8192; i++)
    others += heap[i] != 'p';
  int32_t end = (uint8_t *)sbrk(0) - heap;
  printf("fork-grow: parent's heap end at +%d, %u bytes changed; child exited with %d\n", end, others, status);
  printf("fork-grow: parent's own stack still grows (sum %u)\n", deep(32));
  return 0;
}
