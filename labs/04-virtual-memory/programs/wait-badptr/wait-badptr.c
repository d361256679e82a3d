// wait-badptr: wait() must not write a status where the process could not:
// into its own read-only code, or into a hole. Both are -EFAULT (-14) and
// leave the child for a wait() that can take it.

#include "../lib/vm.h"

int
main(void)
{
  if (fork() == 0)
    exit(5);
  int *code = (int *)main;
  int before = *code;
  printf("wait-badptr: into the code %d\n", wait(code));
  printf("wait-badptr: into a hole %d\n", wait((int *)0x20000000));
  int status = -1;
  int got = wait(&status);
  printf("wait-badptr: then pid %d, status %d; code %s\n", got, status, *code == before ? "unchanged" : "CHANGED");
  return 0;
}
