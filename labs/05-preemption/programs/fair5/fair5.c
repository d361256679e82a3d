// fair5: five spinners share the CPU while their parent sleeps 60 ticks;
// then it kills them. The kernel prints each one's ticks in ring 3
// ("ticks pid N: T") when it ends: round robin gives them equal shares,
// within a quantum.

#include "../lib/sched.h"

int
main(void)
{
  int pids[5];
  for (int k = 0; k < 5; k++) {
    pids[k] = fork();
    if (pids[k] == 0)
      for (;;)
        ;
  }
  sleep(60);
  for (int k = 0; k < 5; k++)
    kill(pids[k]);
  for (int k = 0; k < 5; k++)
    wait(0);
  printf("fair5: five spinners killed and collected\n");
  return 0;
}
