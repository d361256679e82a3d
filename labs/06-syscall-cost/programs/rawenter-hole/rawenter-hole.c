// rawenter-hole: rawenter with EBP at an address nothing is mapped at: the
// kernel must check it before it reads the caller's ECX and EDX there, or it
// faults itself. The call fails with -EFAULT, and SYSEXIT returns, as it
// always does, to the vDSO's return path with ESP = EBP, where the process's
// own pop faults in ring 3 and it is killed. The kernel takes no fault.

#include "../lib/cost.h"

int
main(void)
{
  printf("rawenter-hole: SYSENTER with EBP at 0x%x\n", 0x30000000u);
  asm volatile(
      "movl %0, %%ebp\n\t"
      "movl $" SYS_GETPID_STR ", %%eax\n\t"
      "sysenter\n\t"
      :
      : "r"(0x30000000u)
      : "eax", "ecx", "edx", "memory", "cc");
  printf("rawenter-hole: came back\n");
  return 1;
}
