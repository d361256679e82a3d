// rawenter: SYSENTER without the vDSO, with EBP, where the kernel fetches the
// caller's ECX and EDX, pointing into the kernel's half. The kernel must not
// read there for it: the call fails with -EFAULT, and SYSEXIT returns, as it
// always does, to the vDSO's return path with ESP = EBP, where the process's
// own pop faults in ring 3 and it is killed. The kernel takes no fault.

#include "../lib/cost.h"

int
main(void)
{
  printf("rawenter: SYSENTER with EBP at 0x%x\n", KERNBASE + 0x100000);
  asm volatile(
      "movl %0, %%ebp\n\t"
      "movl $" SYS_GETPID_STR ", %%eax\n\t"
      "sysenter\n\t"
      :
      : "r"(KERNBASE + 0x100000)
      : "eax", "ecx", "edx", "memory", "cc");
  printf("rawenter: came back\n");
  return 1;
}
