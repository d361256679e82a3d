// sleep-many: sleep(1) twenty times takes exactly twenty ticks: each
// sleep(1) wakes at the next tick, not the one after.

#include "../lib/sched.h"

int
main(void)
{
  uint32_t t0 = uptime();
  for (int k = 0; k < 20; k++)
    sleep(1);
  printf("sleep-many: 20 x sleep(1) took %u ticks\n", uptime() - t0);
  return 0;
}
