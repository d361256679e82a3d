// spin-idle: a child spins for a while and exits; the parent sleeps 60
// ticks. Once the child is gone nothing is runnable, and the kernel halts
// until the parent's tick.

#include "../lib/sched.h"

int
main(void)
{
  if (fork() == 0) {
    spin(500000);
    exit(0);
  }
  sleep(60);
  wait(0);
  printf("spin-idle: slept 60 ticks\n");
  return 0;
}
