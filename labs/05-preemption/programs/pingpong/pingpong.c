// pingpong: two processes print in turn, each yielding after every line.
// yield() gives the rest of the time slice to the other, so the lines
// alternate strictly, preemption or not.

#include "../lib/sched.h"

int
main(void)
{
  int child = fork() == 0;
  for (int k = 0; k < 5; k++) {
    printf("pingpong: %s %d\n", child ? "pong" : "ping", k);
    yield();
  }
  if (child)
    exit(0);
  wait(0);
  return 0;
}
