// System calls (lab 3): INT $0x80 from ring 3 arrives here through trap().
// The number is in EAX, the arguments in EBX, ECX and EDX, and the result goes
// back in EAX (syscall.h). Every argument is the user's to choose, so every
// pointer and length is checked before the kernel touches what it names: a
// bad one is an error for the caller (-EFAULT), never a fault in the kernel.

#include "kprintf.h"
#include "pit.h"
#include "proc.h"
#include "serial.h"
#include "syscall.h"
#include "traps.h"
#include "vm.h"

// write(fd, buf, len): copy len bytes from the caller's buf to the console.
static int32_t
sys_write(struct trapframe *tf)
{
  uint32_t fd = tf->ebx;
  uint32_t buf = tf->ecx;
  uint32_t len = tf->edx;

  if (fd != 1 && fd != 2)
    return -EBADF;
/* BEGIN SOLUTION lab3 */
  if (!user_range_ok(buf, len, 0))
    return -EFAULT;
/* END SOLUTION */
/* STUDENT lab3: return -EFAULT unless [buf, buf + len) is memory the process may read (user_range_ok) */
  const char *p = (const char *)buf;
  for (uint32_t i = 0; i < len; i++)
    serial_putc(p[i]);
  // The result is a byte count in EAX; a count that does not fit an int32_t
  // cannot pass the check above (the user window is 4 MiB).
  return (int32_t)len;
}

void
syscall(struct trapframe *tf)
{
/* BEGIN SOLUTION lab4 */
  switch (tf->eax) {
  case SYS_exit:
    proc_exit(tf, (int)tf->ebx);          // tf now holds the next process
    return;
  case SYS_write:
    tf->eax = sys_write(tf);
    return;
  case SYS_getpid:
    tf->eax = curproc->pid;
    return;
  case SYS_yield:
    tf->eax = 0;                           // set first: tf is the next process's after this
    proc_yield(tf);
    return;
  case SYS_fork:
    proc_fork(tf);
    return;
  case SYS_wait:
    proc_wait(tf);                         // may sleep: tf is then the next process's
    return;
  case SYS_sbrk:
    proc_sbrk(tf);
    return;
/* BEGIN SOLUTION lab5 */
  case SYS_sleep:
    proc_sleep(tf);
    return;
  case SYS_uptime:
    tf->eax = ticks;
    return;
  case SYS_kill:
    proc_kill(tf);
    return;
/* END SOLUTION */
/* STUDENT lab5: add SYS_sleep, SYS_uptime and SYS_kill to the dispatch (proc_sleep, the tick count, proc_kill) */
/* BEGIN SOLUTION lab6 */
  case SYS_getpid_cr3:
    // What a kernel with separate user and kernel page tables pays on every
    // system call: a CR3 write on entry, another on exit, and the TLB
    // refills after each.
    switch_kernel_space();
    tf->eax = curproc->pid;
    switch_address_space(curproc->pgdir);
    return;
/* END SOLUTION */
/* STUDENT lab6: SYS_getpid_cr3: getpid between switch_kernel_space() and switch_address_space(curproc->pgdir) */
  default:
    tf->eax = -ENOSYS;
    return;
  }
/* BEFORE lab4 */
/* BEGIN SOLUTION lab3 */
  switch (tf->eax) {
  case SYS_exit:
    proc_exit(tf, (int)tf->ebx);          // tf now holds the next process
    return;
  case SYS_write:
    tf->eax = sys_write(tf);
    return;
  case SYS_getpid:
    tf->eax = curproc->pid;
    return;
  case SYS_yield:
    tf->eax = 0;                           // set first: tf is the next process's after this
    proc_yield(tf);
    return;
  default:
    tf->eax = -ENOSYS;
    return;
  }
/* END SOLUTION */
/* STUDENT lab3: dispatch on tf->eax (SYS_exit, SYS_write, SYS_getpid, SYS_yield), put each result in tf->eax, and -ENOSYS for any other number */
/* END SOLUTION */
/* STUDENT lab4: add SYS_fork, SYS_wait and SYS_sbrk to the dispatch (proc_fork, proc_wait, proc_sbrk) */
}
