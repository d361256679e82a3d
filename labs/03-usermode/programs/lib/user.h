// The user programs' whole runtime: the system calls and a small printf.
#ifndef USER_H
#define USER_H

#include <stdarg.h>
#include <stdint.h>
#include "../../../kernel/syscall.h"

// The system calls (usys.S): each is one INT $0x80.
void exit(int code) __attribute__((noreturn));
int write(int fd, const void *buf, uint32_t len);
int getpid(void);
int yield(void);
// Any number with any three arguments, for programs that probe the kernel.
int syscall3(uint32_t number, uint32_t a, uint32_t b, uint32_t c);

// ulib.c
uint32_t strlen(const char *s);
// %d %u %x %s %c and %p, like the kernel's kprintf; to fd 1.
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Each program's own.
int main(void);

// An address the user program cannot reach: the kernel's first MiB, where
// kernel.ld links the kernel's code.
#define KERNEL_TEXT  0x00100000u
// Nothing is mapped here in any process.
#define UNMAPPED     0x40000000u

#endif
