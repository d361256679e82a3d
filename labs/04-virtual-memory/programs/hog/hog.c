// hog: grows its heap a page at a time until the kernel says no. It must get
// an error (or be killed) while the kernel carries on.

#include "../lib/vm.h"

int
main(void)
{
  uint32_t pages = 0;
  for (;;) {
    char *p = sbrk(4096);
    if (p == (char *)-1)
      break;
    p[0] = 1;
    pages++;
  }
  printf("hog: sbrk refused after %u pages\n", pages);
  return 0;
}
