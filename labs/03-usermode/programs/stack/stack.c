// stack: recurse until the stack runs out. The process has one stack page
// (0x083FF000-0x083FFFFF) and nothing mapped below it, so the push that
// crosses 0x083FF000 is a #PF with error code 6 (P=0 W=1 U=1) and CR2 just
// below the stack page.

#include "../lib/user.h"

// Far more than one page of frames could hold; volatile, so the compiler
// cannot see that the recursion never reaches it.
static volatile int limit = 1 << 30;

static int
deeper(int n)
{
  volatile char frame[200];   // volatile: the compiler may not drop it

  if (n == limit)
    return 0;
  frame[0] = (char)n;
  return deeper(n + 1) + frame[0];
}

int
main(void)
{
  printf("stack: pid %d will recurse forever\n", getpid());
  deeper(0);
  printf("stack: survived\n");
  return 0;
}
