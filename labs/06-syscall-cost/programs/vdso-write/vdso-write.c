// vdso-write: the vDSO is code the kernel gives every process; it is
// read-only to them, or one process could change what every system call of
// every other one runs. Reading it is fine; writing it is a fault.

#include "../lib/cost.h"

int
main(void)
{
  volatile uint8_t *vdso = (volatile uint8_t *)VDSO_BASE;
  printf("vdso-write: its first byte is 0x%x\n", vdso[0]);
  vdso[0] = 0xCC;
  printf("vdso-write: wrote the vDSO\n");
  return 1;
}
