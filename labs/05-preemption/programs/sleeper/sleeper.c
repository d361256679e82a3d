// sleeper: sleep(n) returns when exactly n ticks have passed (time on the lab
// PC is virtual, so exactly), and sleep(0) at once.

#include "../lib/sched.h"

int
main(void)
{
  uint32_t t0 = uptime();
  sleep(10);
  uint32_t t1 = uptime();
  sleep(0);
  uint32_t t2 = uptime();
  sleep(25);
  uint32_t t3 = uptime();
  printf("sleeper: slept %u, %u and %u ticks\n", t1 - t0, t2 - t1, t3 - t2);
  return 0;
}
