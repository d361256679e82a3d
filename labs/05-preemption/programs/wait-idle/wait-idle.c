// wait-idle: a parent waits for a child that sleeps 80 ticks. A parent in
// wait() must sleep too, not poll: nothing is runnable, and the kernel halts.

#include "../lib/sched.h"

int
main(void)
{
  if (fork() == 0) {
    sleep(80);
    exit(9);
  }
  int status = 0;
  wait(&status);
  printf("wait-idle: the child slept 80 ticks and exited with %d\n", status);
  return 0;
}
