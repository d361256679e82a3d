// same-va-spin: four processes keep their own value at one virtual address
// and check it while the timer switches between them: CR3 must change with
// every switch.

#include "../lib/sched.h"

static volatile uint32_t mine;

int
main(void)
{
  for (int k = 1; k < 4; k++)
    if (fork() == 0)
      break;
  uint32_t want = 0x1111 * (uint32_t)getpid();
  mine = want;
  uint32_t bad = 0;
  for (uint32_t i = 0; i < 3000000; i++)
    bad += mine != want;
  printf("same-va-spin: pid %d: %u bad reads\n", getpid(), bad);
  if (getpid() != 1)
    exit(0);
  for (int k = 1; k < 4; k++)
    wait(0);
  return 0;
}
