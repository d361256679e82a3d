// hello: the well-behaved program. It prints, asks for its pid, gives the CPU
// away once, and exits with status 0.

#include "../lib/user.h"

int
main(void)
{
  int pid = getpid();
  printf("hello: pid %d in ring 3\n", pid);
  int r = yield();
  printf("hello: pid %d back from yield (%d), exiting\n", pid, r);
  return 0;
}
