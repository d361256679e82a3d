// fork-chain: a child forks a grandchild and passes its status on; another
// child forks a grandchild and exits without waiting, leaving an orphan
// whose frames must come back all the same.

#include "../lib/vm.h"

int
main(void)
{
  int child = fork();
  if (child == 0) {
    int grandchild = fork();
    if (grandchild == 0)
      exit(3);
    int status = 0;
    wait(&status);
    exit(status + 10);
  }
  int status = 0;
  wait(&status);
  printf("fork-chain: through two generations %d\n", status);

  int orphaner = fork();
  if (orphaner == 0) {
    if (fork() == 0) {
      yield();
      yield();
      printf("fork-chain: orphan done\n");
      exit(0);
    }
    exit(1);
  }
  wait(&status);
  printf("fork-chain: orphaner exited %d\n", status);
  return 0;
}
