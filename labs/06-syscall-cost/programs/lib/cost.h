// Lab 6's programs: lab 5's system calls, made through the vDSO, and what
// the measurements need.
#ifndef USER_COST_H
#define USER_COST_H

#include "../../../kernel/memlayout.h"
#include "../../../05-preemption/programs/lib/sched.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define VDSO_STR STR(VDSO_BASE)
#define SYS_GETPID_STR STR(SYS_getpid)

static inline uint64_t
rdtsc(void)
{
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

#endif
