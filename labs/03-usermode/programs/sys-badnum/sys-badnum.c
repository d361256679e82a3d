// sys-badnum: system-call numbers that do not exist (-ENOSYS, -38) and a
// file descriptor that does not exist (-EBADF, -9).

#include "../lib/user.h"

int
main(void)
{
  printf("sys-badnum: syscall(0) = %d\n", syscall3(0, 0, 0, 0));
  printf("sys-badnum: syscall(999) = %d\n", syscall3(999, 1, 2, 3));
  printf("sys-badnum: syscall(0xffffffff) = %d\n", syscall3(0xffffffffu, 0, 0, 0));
  printf("sys-badnum: write(fd 7) = %d\n", write(7, "x", 1));
  printf("sys-badnum: done\n");
  return 0;
}
