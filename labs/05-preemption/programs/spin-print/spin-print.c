// spin-print: a child that spins forever, and a parent that prints. Without
// preemption the spinner would keep the CPU for good once it had it; with the
// timer taking it back every QUANTUM ticks, the printer finishes, then kills
// the spinner.

#include "../lib/sched.h"

int
main(void)
{
  int pid = fork();
  if (pid == 0)
    for (;;)
      ;
  for (int line = 0; line < 4; line++) {
    spin(300000);
    printf("spin-print: line %d\n", line);
  }
  printf("spin-print: kill %d\n", kill(pid));
  int status = 0;
  int got = wait(&status);
  printf("spin-print: spinner %s, status %d\n", got == pid ? "collected" : "lost", status);
  return 0;
}
