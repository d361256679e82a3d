// Lab 4's system calls for user programs, on top of lab 3's runtime
// (../../../03-usermode/programs/lib: exit, write, getpid, yield, printf).
#ifndef USER_VM_H
#define USER_VM_H

#include "../../../03-usermode/programs/lib/user.h"

int fork(void);
// The pid of a child that ended, its status in *status (unless status is 0);
// -ECHILD when there is no child.
int wait(int *status);
// Moves the end of the heap by n bytes and returns the old end, or (void *)-1.
void *sbrk(int32_t n);

// The first address of the kernel's gigabyte: no user access from here up
// (the kernel's memlayout.h says the same, for programs that include it).
#ifndef KERNBASE
#define KERNBASE     0xC0000000u
#endif

#endif
