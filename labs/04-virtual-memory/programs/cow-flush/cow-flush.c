// cow-flush: the parent writes a global just before fork and again right
// after it, with no system call between: the TLB may still hold the page as
// writable from the first write. The child must see the value from before.

#include "../lib/vm.h"

static volatile int value;

int
main(void)
{
  value = 1;
  int pid = fork();
  if (pid == 0) {
    yield();
    printf("cow-flush: child sees %d\n", value);
    exit(value);
  }
  value = 2;
  int status = -1;
  wait(&status);
  printf("cow-flush: parent sees %d, child exited with %d\n", value, status);
  return 0;
}
