// Lab 5's system calls, through lab 3's syscall3 (one INT $0x80 each).

#include "sched.h"

int
sleep(uint32_t ticks)
{
  return syscall3(SYS_sleep, ticks, 0, 0);
}

uint32_t
uptime(void)
{
  return (uint32_t)syscall3(SYS_uptime, 0, 0, 0);
}

int
kill(int pid)
{
  return syscall3(SYS_kill, (uint32_t)pid, 0, 0);
}

void
spin(uint32_t n)
{
  for (volatile uint32_t i = 0; i < n; i++)
    ;
}
