// same-va: every copy of this program has `value` at the same virtual
// address. Each writes its own number there, lets the others run, and reads
// it back: with an address space per process, each reads its own.

#include "../lib/vm.h"

static volatile int value;

int
main(void)
{
  int pid = getpid();
  value = pid * 1111;
  yield();
  yield();
  printf("same-va: pid %d reads %d at %p\n", pid, value, (void *)&value);
  return 0;
}
