// sleep-load: a process sleeps while another spins. The sleeper becomes
// runnable at its tick, and runs when the spinner's time slice ends: no
// sooner than n ticks, no later than a quantum after.

#include "../lib/sched.h"

int
main(void)
{
  int spinner = fork();
  if (spinner == 0)
    for (;;)
      ;
  uint32_t late = 0;
  for (int k = 0; k < 5; k++) {
    uint32_t t0 = uptime();
    sleep(7);
    uint32_t slept = uptime() - t0;
    if (slept < 7)
      printf("sleep-load: woke early, after %u ticks\n", slept);
    late += slept - 7;
  }
  kill(spinner);
  wait(0);
  printf("sleep-load: 5 sleeps of 7 ticks under load, %u ticks late in all\n", late);
  return 0;
}
