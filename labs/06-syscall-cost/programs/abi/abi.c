// abi: a system call through the vDSO leaves every register but EAX as it
// was, EBX, ECX, EDX, ESI, EDI and EBP included (ECX and EDX are SYSEXIT's,
// so the vDSO must keep them), and ESP where it was.

#include "../lib/cost.h"

int
main(void)
{
  uint32_t bad = 0;
  for (uint32_t k = 0; k < 50; k++) {
    uint32_t changed;
    asm volatile(
        "pushl %%ebp\n\t"
        "movl %%esp, %%ebp\n\t"
        "movl $0x11110000, %%ebx\n\t"
        "movl $0x22220000, %%ecx\n\t"
        "movl $0x33330000, %%edx\n\t"
        "movl $0x44440000, %%esi\n\t"
        "movl $0x55550000, %%edi\n\t"
        "pushl %%ebp\n\t"
        "movl $0x66660000, %%ebp\n\t"
        "movl $" SYS_GETPID_STR ", %%eax\n\t"
        "call " VDSO_STR "\n\t"
        "xorl %%eax, %%eax\n\t"
        "cmpl $0x66660000, %%ebp\n\t"
        "setne %%al\n\t"
        "popl %%ebp\n\t"
        "cmpl $0x11110000, %%ebx\n\t"
        "jne 1f\n\t"
        "cmpl $0x22220000, %%ecx\n\t"
        "jne 1f\n\t"
        "cmpl $0x33330000, %%edx\n\t"
        "jne 1f\n\t"
        "cmpl $0x44440000, %%esi\n\t"
        "jne 1f\n\t"
        "cmpl $0x55550000, %%edi\n\t"
        "jne 1f\n\t"
        "cmpl %%esp, %%ebp\n\t"
        "jne 1f\n\t"
        "jmp 2f\n"
        "1:\n\t"
        "orl $2, %%eax\n"
        "2:\n\t"
        "movl %%ebp, %%esp\n\t"
        "popl %%ebp\n\t"
        : "=a"(changed)
        :
        : "ebx", "ecx", "edx", "esi", "edi", "memory", "cc");
    bad += changed != 0;
  }
  printf("abi: 50 calls through the vDSO, %u changed a register\n", bad);
  return 0;
}
