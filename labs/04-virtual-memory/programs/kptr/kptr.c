// kptr: hands the kernel pointers it must refuse with -EFAULT: kernel code,
// a buffer that runs from the top stack page over TASK_SIZE, and a status
// pointer for wait() in the kernel half. The process carries on.

#include "../lib/vm.h"

int
main(void)
{
  printf("kptr: kernel text %d\n", write(1, (const void *)(KERNBASE + 0x100000), 16));
  printf("kptr: across TASK_SIZE %d\n", write(1, (const void *)(KERNBASE - 16), 32));
  int pid = fork();
  if (pid == 0)
    exit(5);
  printf("kptr: wait into the kernel %d\n", wait((int *)KERNBASE));
  int status = 0;
  int got = wait(&status);
  printf("kptr: then wait %s, status %d\n", got == pid ? "collects the child" : "fails", status);
  return 0;
}
