// heap: 64 KiB from sbrk, filled and checked; sbrk(0) tells the end; the
// heap cannot shrink below its start.

#include "../lib/vm.h"

int
main(void)
{
  uint8_t *start = sbrk(0);
  uint8_t *p = sbrk(65536);
  if (p != start) {
    printf("heap: sbrk returned %p, not the old end %p\n", (void *)p, (void *)start);
    return 1;
  }
  for (uint32_t i = 0; i < 65536; i++)
    p[i] = (uint8_t)(i * 7);
  uint32_t bad = 0;
  for (uint32_t i = 0; i < 65536; i++)
    bad += p[i] != (uint8_t)(i * 7);
  printf("heap: 64 KiB written and read back, %u bad bytes; end moved by %u\n", bad, (uint32_t)((uint8_t *)sbrk(0) - start));
  printf("heap: shrinking below the start %s\n", sbrk(-(65536 + 4096)) == (void *)-1 ? "refused" : "allowed");
  sbrk(-65536);
  printf("heap: back to the start %s\n", sbrk(0) == start ? "yes" : "no");
  return 0;
}
