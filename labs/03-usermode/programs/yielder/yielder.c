// yielder: three rounds, giving the CPU away after each. Two of these run
// strictly in turn: pid 1 round 0, pid 2 round 0, pid 1 round 1, ...

#include "../lib/user.h"

int
main(void)
{
  int pid = getpid();
  for (int round = 0; round < 3; round++) {
    printf("yielder: pid %d round %d\n", pid, round);
    yield();
  }
  return pid;   // the exit status: 1, 2, ...
}
