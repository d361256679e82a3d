// kill-waiter: a child kills its parent while the parent waits for it. The
// parent ends (status -1, nobody collects it); the child, now an orphan,
// runs to its end.

#include "../lib/sched.h"

int
main(void)
{
  int parent = getpid();
  if (fork() == 0) {
    sleep(3);
    printf("kill-waiter: child kills its parent: %d\n", kill(parent));
    sleep(3);
    printf("kill-waiter: orphan done\n");
    exit(0);
  }
  wait(0);
  printf("kill-waiter: the parent came back from wait\n");
  return 1;
}
