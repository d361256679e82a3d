// divzero: try to divide by zero. DIV by 0: #DE at the DIV.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("divzero: pid %d will divide by zero\n", getpid());
  uint32_t q;
  asm volatile("divl %2" : "=a"(q) : "a"(1), "r"(0), "d"(0));
  printf("divzero: quotient %u\n", q);
  printf("divzero: survived\n");
  return 0;
}
