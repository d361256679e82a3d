// Lab 5's system calls for user programs, on top of lab 4's (fork, wait,
// sbrk) and lab 3's runtime (exit, write, getpid, yield, printf).
#ifndef USER_SCHED_H
#define USER_SCHED_H

#include "../../../04-virtual-memory/programs/lib/vm.h"

// Returns 0 when n timer ticks (HZ = 100 a second) have passed.
int sleep(uint32_t ticks);
// Timer ticks since the kernel started the timer.
uint32_t uptime(void);
// Ends process pid (its status is -1) before it runs again; 0, or -ESRCH.
int kill(int pid);

// Spin for n iterations of a loop the compiler keeps: work that takes time
// without a system call.
void spin(uint32_t n);

#endif
