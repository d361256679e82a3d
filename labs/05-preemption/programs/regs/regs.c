// regs: two processes spin with known values in every general register
// (EBX, ESI, EDI and EBP too, which the C calling convention asks a switch to
// preserve) and check them after each of 200000 loop turns, across the
// preemptions that come meanwhile. Each reports the first bad value, if any.

#include "../lib/sched.h"

// Returns 0, or how many turns were left when a register no longer held
// its value. The values live in registers only: inputs come in EAX and ECX.
static uint32_t
check(uint32_t seed, uint32_t turns)
{
  uint32_t result = seed;
  asm volatile(
      "pushl %%ebp\n\t"
      "movl %%eax, %%ebx\n\t"
      "leal 1(%%eax), %%esi\n\t"
      "leal 2(%%eax), %%edi\n\t"
      "leal 3(%%eax), %%ebp\n"
      "1:\n\t"
      "cmpl %%eax, %%ebx\n\t"
      "jne 2f\n\t"
      "leal 1(%%eax), %%edx\n\t"
      "cmpl %%edx, %%esi\n\t"
      "jne 2f\n\t"
      "leal 2(%%eax), %%edx\n\t"
      "cmpl %%edx, %%edi\n\t"
      "jne 2f\n\t"
      "leal 3(%%eax), %%edx\n\t"
      "cmpl %%edx, %%ebp\n\t"
      "jne 2f\n\t"
      "loop 1b\n\t"
      "xorl %%eax, %%eax\n\t"
      "jmp 3f\n"
      "2:\n\t"
      "movl %%ecx, %%eax\n"
      "3:\n\t"
      "popl %%ebp\n\t"
      : "+a"(result), "+c"(turns)
      :
      : "ebx", "edx", "esi", "edi", "memory", "cc");
  return result;
}

int
main(void)
{
  int pid = fork();
  uint32_t seed = pid == 0 ? 0x1000 : 0x2000;
  uint32_t total = 0;
  for (int round = 0; round < 10; round++)
    total += check(seed, 200000) != 0;
  uint32_t t = uptime();
  if (pid == 0) {
    printf("regs: child: %u bad rounds\n", total);
    exit(0);
  }
  wait(0);
  printf("regs: parent: %u bad rounds by tick %s\n", total, t > 10 ? "> 10" : "<= 10");
  return 0;
}
