// order: four children sleep 40, 10, 30 and 20 ticks; each prints when it
// wakes, with how long it slept. They wake in the order of their ticks.

#include "../lib/sched.h"

int
main(void)
{
  static const uint32_t naps[4] = { 40, 10, 30, 20 };
  for (int k = 0; k < 4; k++) {
    if (fork() == 0) {
      uint32_t t0 = uptime();
      sleep(naps[k]);
      printf("order: child %d slept %u ticks\n", k, uptime() - t0);
      exit(k);
    }
  }
  for (int k = 0; k < 4; k++)
    wait(0);
  printf("order: all four woke\n");
  return 0;
}
