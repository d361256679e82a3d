// The system-call interface between user programs and the kernel (lab 3):
// the numbers and error codes. User programs include this file too
// (labs/03-usermode/programs/lib), so both sides agree by construction.
//
// Calling convention: INT $0x80 with the number in EAX and up to three
// arguments in EBX, ECX and EDX. The result comes back in EAX: a value >= 0
// on success, minus an error number on failure. Every other register is
// preserved.
#ifndef SYSCALL_H
#define SYSCALL_H

#define SYS_exit     1    // exit(int code): ends the process; does not return
#define SYS_write    2    // write(int fd, const void *buf, uint32_t len): bytes written
#define SYS_getpid   3    // getpid(void): the process's id (1, 2, ... in module order)
#define SYS_yield    4    // yield(void): let the next process run; returns 0
// Lab 4's.
#define SYS_fork     5    // fork(void): a copy of the caller; the child's pid in the parent, 0 in the child
#define SYS_wait     6    // wait(int *status): waits for a child to end; its pid, and its status in
                          // *status unless status is 0 (exit's code, or -1 for a child that was killed)
#define SYS_sbrk     7    // sbrk(int32_t n): moves the end of the heap by n bytes; the old end
// Lab 5's.
#define SYS_sleep    8    // sleep(uint32_t n): returns 0 when n timer ticks have passed
#define SYS_uptime   9    // uptime(void): timer ticks since the timer started
#define SYS_kill    10    // kill(int pid): ends process pid (status -1) before it runs
                          // ring-3 code again; 0, or -ESRCH when there is no such process
// Lab 6's.
#define SYS_getpid_cr3 11 // getpid, with the kernel's page directory in CR3 while in the
                          // kernel (two CR3 writes), as kernels that keep user and kernel
                          // page tables apart do

// Error numbers, as Linux numbers them. A system call returns their negation.
#define ESRCH        3    // kill: no process has this pid
#define EBADF        9    // fd is not 1 (stdout) or 2 (stderr)
#define ECHILD      10    // wait: the caller has no children
#define EAGAIN      11    // fork: no free process slot
#define ENOMEM      12    // fork, sbrk: no memory left (or the heap would reach the stack)
#define EFAULT      14    // a pointer (or pointer + length) leaves the process's mapped memory
#define EINVAL      22    // sbrk: the heap would end below its start
#define ENOSYS      38    // no system call has this number

#ifndef __ASSEMBLER__
struct trapframe;
void syscall(struct trapframe *tf);
#endif

#endif
