// fork-bomb: forks until the kernel refuses (no process slot or no memory).
// The children wait a turn and exit; the parent collects every one.

#include "../lib/vm.h"

int
main(void)
{
  int forked = 0, refused = 0;
  for (;;) {
    int pid = fork();
    if (pid == 0) {
      yield();
      exit(0);
    }
    if (pid < 0) {
      refused = pid;
      break;
    }
    forked++;
  }
  int collected = 0;
  while (wait(0) > 0)
    collected++;
  printf("fork-bomb: %s after %d children, collected %d\n", forked > 0 && refused < 0 ? "refused" : "never refused", forked, collected);
  return 0;
}
