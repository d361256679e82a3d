// idle: two processes that only sleep, 50 ticks in all. While both sleep
// nothing is runnable, and the kernel must halt (HLT with interrupts on)
// rather than spin: the run then costs few instructions.

#include "../lib/sched.h"

int
main(void)
{
  int pid = fork();
  for (int k = 0; k < 5; k++)
    sleep(pid == 0 ? 7 : 10);
  if (pid == 0)
    exit(3);
  int status = 0;
  wait(&status);
  printf("idle: slept 50 ticks; child slept 35 and exited with %d\n", status);
  return 0;
}
