// statuses: five children spin for different lengths of time under the
// timer and exit with different codes; wait gives each pid with its own code.

#include "../lib/sched.h"

int
main(void)
{
  int pids[5];
  for (int k = 0; k < 5; k++) {
    pids[k] = fork();
    if (pids[k] == 0) {
      spin(400000 * (uint32_t)(5 - k));
      exit(10 + k);
    }
  }
  int right = 0;
  for (int k = 0; k < 5; k++) {
    int status = -1;
    int pid = wait(&status);
    for (int j = 0; j < 5; j++)
      if (pids[j] == pid && status == 10 + j)
        right++;
  }
  printf("statuses: %d of 5 children collected with their own code\n", right);
  return 0;
}
