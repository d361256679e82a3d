// outb: try to stop the machine with OUT to the debug-exit port. OUT is checked like IN: #GP(0). (Were it allowed, this would end the whole run with code 42.)
// The kernel must kill this process at that instruction; the last line below
// never prints.

#include "../lib/user.h"

int
main(void)
{
  printf("outb: pid %d will stop the machine with OUT to the debug-exit port\n", getpid());
  asm volatile("outb %0, %1" : : "a"((uint8_t)42), "Nd"((uint16_t)0xF4));
  printf("outb: survived\n");
  return 0;
}
