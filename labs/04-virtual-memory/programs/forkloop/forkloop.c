// forkloop: 50 times, fork a child that touches a heap page and exits with
// its round number, and wait for it. Every child's frames must come back.

#include "../lib/vm.h"

int
main(void)
{
  char *heap = sbrk(8192);
  for (int round = 0; round < 50; round++) {
    int pid = fork();
    if (pid == 0) {
      heap[0] = (char)round;
      heap[4096] = (char)round;
      exit(round);
    }
    int status = -1;
    if (wait(&status) != pid || status != round) {
      printf("forkloop: round %d: wait gave status %d\n", round, status);
      return 1;
    }
  }
  printf("forkloop: 50 children forked, waited for and gone\n");
  return 0;
}
