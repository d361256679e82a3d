// big-bss: a 1 MiB array in .bss: the kernel maps every page of memsz, not
// only filesz, and each is zero.

#include "../lib/vm.h"

static uint32_t big[262144];

int
main(void)
{
  uint32_t nonzero = 0;
  for (uint32_t i = 0; i < sizeof(big) / sizeof(big[0]); i += 1024)
    nonzero += big[i] != 0;
  big[sizeof(big) / sizeof(big[0]) - 1] = 1;
  printf("big-bss: 1 MiB of .bss at %p, %u nonzero pages\n", (void *)big, nonzero);
  return 0;
}
