// lgdt: try to load a GDT of my own. LGDT is privileged: #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("lgdt: pid %d will load a GDT of my own\n", getpid());
  static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdt = { 0xffff, 0 };
  asm volatile("lgdt %0" : : "m"(gdt));
  printf("lgdt: survived\n");
  return 0;
}
