// fork-isolation: after fork, parent and child each change a global and a
// heap page; neither sees the other's writes. The parent waits for the child
// and prints its exit status.

#include "../lib/vm.h"

static int shared_name = 1;

int
main(void)
{
  int *heap = sbrk(4096);
  *heap = 10;
  int pid = fork();
  if (pid < 0) {
    printf("fork-isolation: fork failed (%d)\n", pid);
    return 1;
  }
  if (pid == 0) {
    shared_name = 2;
    *heap = 20;
    yield();
    printf("fork-isolation: child %d sees %d and %d\n", getpid(), shared_name, *heap);
    exit(42);
  }
  shared_name = 3;
  *heap = 30;
  int status = 0;
  int got = wait(&status);
  printf("fork-isolation: parent sees %d and %d; child %d (%s) exited with %d\n",
         shared_name, *heap, got, got == pid ? "the one forked" : "another", status);
  return 0;
}
