// churn: processes come and go: 12 rounds of three children, each of which
// grows its heap and forks a grandchild before it exits. Every address space
// is made, loaded into CR3 and freed many times over, and frames are reused.

#include "../lib/vm.h"

int
main(void)
{
  int done = 0;
  for (int round = 0; round < 12; round++) {
    for (int k = 0; k < 3; k++) {
      if (fork() == 0) {
        char *heap = sbrk(8192);
        heap[0] = heap[8191] = (char)k;
        if (fork() == 0)
          exit(heap[8191]);
        int status = -1;
        wait(&status);
        exit(status == k ? 0 : 1);
      }
    }
    int status = -1;
    for (int k = 0; k < 3; k++)
      if (wait(&status) > 0 && status == 0)
        done++;
  }
  printf("churn: %d of 36 children and their children done\n", done);
  return 0;
}
