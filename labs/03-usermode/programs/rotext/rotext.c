// rotext: try to overwrite my own code. The text segment is mapped user but not writable: #PF, error code 7, CR2 = main.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("rotext: pid %d will overwrite my own code\n", getpid());
  *(volatile uint8_t *)(uint32_t)main = 0xc3;
  printf("rotext: survived\n");
  return 0;
}
