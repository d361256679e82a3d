// exit-sleep: processes end while others sleep: the parent exits at once,
// its three children sleep 5, 10 and 15 ticks and then exit.

#include "../lib/sched.h"

int
main(void)
{
  for (int k = 1; k <= 3; k++) {
    if (fork() == 0) {
      sleep(5 * k);
      printf("exit-sleep: child %d woke\n", k);
      exit(k);
    }
  }
  printf("exit-sleep: parent exits\n");
  return 0;
}
