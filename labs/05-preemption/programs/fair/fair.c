// fair: three spinners share the CPU while their parent sleeps 40 ticks;
// then it kills them. The kernel prints each one's ticks in ring 3
// ("ticks pid N: T") when it ends: round robin gives them equal shares,
// within a quantum. fair5.c is the same with five spinners for 60 ticks.

#include "../lib/sched.h"

#ifndef SPINNERS
#define SPINNERS 3
#define NAP      40
#define SAYS     "fair: three spinners killed and collected\n"
#endif

int
main(void)
{
  int pids[SPINNERS];
  for (int k = 0; k < SPINNERS; k++) {
    pids[k] = fork();
    if (pids[k] == 0)
      for (;;)
        ;
  }
  sleep(NAP);
  for (int k = 0; k < SPINNERS; k++)
    kill(pids[k]);
  for (int k = 0; k < SPINNERS; k++)
    wait(0);
  printf(SAYS);
  return 0;
}
