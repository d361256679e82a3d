// inb: try to read COM1 with IN. IN in ring 3 needs IOPL 3 or the port's bit clear in the TSS's I/O bitmap; the kernel gives neither: #GP(0).
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("inb: pid %d will read COM1 with IN\n", getpid());
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)0x3F8));
  printf("inb: read 0x%x\n", v);
  printf("inb: survived\n");
  return 0;
}
