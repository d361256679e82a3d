// crowd: 30 children, each sleeping a little, spinning a little and
// exiting with its number; the parent collects every status.

#include "../lib/sched.h"

int
main(void)
{
  for (int k = 0; k < 30; k++) {
    if (fork() == 0) {
      sleep(k % 5);
      spin(20000 * (k % 7));
      exit(k);
    }
  }
  int sum = 0, status = 0;
  for (int k = 0; k < 30; k++)
    if (wait(&status) > 0)
      sum += status;
  printf("crowd: 30 children collected, status sum %d\n", sum);
  return 0;
}
