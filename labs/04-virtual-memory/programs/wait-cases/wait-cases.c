// wait-cases: wait without children is -ECHILD; a killed child's status is
// -1; two children are collected one wait each, whatever order they end in.

#include "../lib/vm.h"

int
main(void)
{
  int status = 0;
  printf("wait-cases: no children %d\n", wait(&status));

  int pid = fork();
  if (pid == 0) {
    (void)*(volatile uint32_t *)KERNBASE;    // killed here
    exit(9);
  }
  int got = wait(&status);
  printf("wait-cases: killed child %s, status %d\n", got == pid ? "collected" : "lost", status);

  int a = fork();
  if (a == 0)
    exit(11);
  int b = fork();
  if (b == 0) {
    yield();
    exit(22);
  }
  int sum = 0, found = 0;
  for (int i = 0; i < 2; i++) {
    got = wait(&status);
    found += (got == a) + (got == b);
    sum += status;
  }
  printf("wait-cases: both children %d, status sum %d, then %d\n", found, sum, wait(0));
  return 0;
}
