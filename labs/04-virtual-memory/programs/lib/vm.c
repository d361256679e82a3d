// Lab 4's system calls, through lab 3's syscall3 (one INT $0x80 each).

#include "vm.h"

int
fork(void)
{
  return syscall3(SYS_fork, 0, 0, 0);
}

int
wait(int *status)
{
  return syscall3(SYS_wait, (uint32_t)status, 0, 0);
}

void *
sbrk(int32_t n)
{
  int r = syscall3(SYS_sbrk, (uint32_t)n, 0, 0);
  // Errors are small negative numbers; no heap address is that high.
  return (r < 0 && r > -4096) ? (void *)-1 : (void *)r;
}
