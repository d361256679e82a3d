// killer: kill() on a sleeping child, a runnable (spinning) child, a pid that
// does not exist, and itself. Each victim ends with status -1, and never
// runs ring-3 code again after its kill; a sleeper ends at once, not when
// its sleep is over.

#include "../lib/sched.h"

int
main(void)
{
  int sleeper = fork();
  if (sleeper == 0) {
    sleep(1000);
    printf("killer: the sleeper woke up\n");
    exit(1);
  }
  int spinner = fork();
  if (spinner == 0) {
    for (;;)
      ;
  }
  sleep(5);
  uint32_t t0 = uptime();
  printf("killer: kill sleeper %d, spinner %d, nobody %d\n", kill(sleeper), kill(spinner), kill(999));
  int status = 0, got = 0;
  for (int k = 0; k < 2; k++) {
    got = wait(&status);
    printf("killer: pid %d ended with %d\n", got, status);
  }
  // A killed sleeper ends at once, not when its 1000 ticks are over.
  printf("killer: both ended within %s ticks of the kills\n", uptime() - t0 <= 10 ? "10" : "more than 10");
  if (fork() == 0) {
    kill(getpid());
    printf("killer: still alive after killing myself\n");
    exit(2);
  }
  got = wait(&status);
  printf("killer: the suicide ended with %d\n", status);
  return 0;
}
