// lidt: try to load an IDT of my own. LIDT is privileged: #GP(0), whatever the operand.
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("lidt: pid %d will load an IDT of my own\n", getpid());
  static const struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idt = { 0x7ff, 0 };
  asm volatile("lidt %0" : : "m"(idt));
  printf("lidt: survived\n");
  return 0;
}
