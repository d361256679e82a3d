// cow-big: a process with 16 MiB of heap forks on a 32 MiB machine. Copying
// 16 MiB at fork cannot fit; with copy-on-write, fork costs page tables, and
// the child's one write costs one page.

#include "../lib/vm.h"

#define HEAP (16 * 1024 * 1024)

int
main(void)
{
  uint8_t *heap = sbrk(HEAP);
  if (heap == (void *)-1) {
    printf("cow-big: no 16 MiB heap\n");
    return 1;
  }
  for (uint32_t at = 0; at < HEAP; at += 4096)
    heap[at] = (uint8_t)(at >> 12);
  int pid = fork();
  if (pid < 0) {
    printf("cow-big: fork of a 16 MiB process refused (%d)\n", pid);
    return 1;
  }
  if (pid == 0) {
    heap[0] = 0xCC;
    uint32_t bad = 0;
    for (uint32_t at = 4096; at < HEAP; at += 4096)
      bad += heap[at] != (uint8_t)(at >> 12);
    exit(bad == 0 && heap[0] == 0xCC ? 7 : 1);
  }
  int status = -1;
  wait(&status);
  printf("cow-big: 16 MiB forked; child exited with %d; parent's first byte %d\n", status, heap[0]);
  return 0;
}
