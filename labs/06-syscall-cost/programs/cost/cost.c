// cost: what a system call costs on this machine, in time-stamp counter
// units: N calls of an empty function, then N getpid()s through INT $0x80,
// through the vDSO's SYSENTER, and through the vDSO with the kernel's page
// directory loaded on entry and the process's on exit (SYS_getpid_cr3). Each
// loop runs once untimed first (a warm TLB, as in steady use), and the cost
// of the loop itself, measured empty, is taken off.

#include "../lib/cost.h"

#define N 1000

static void __attribute__((noinline))
empty(void)
{
  asm volatile("" ::: "memory");
}

static inline void
by_int80(void)
{
  int r;
  asm volatile("int $0x80" : "=a"(r) : "a"(SYS_getpid) : "memory");
}

static inline void
by_vdso(uint32_t number)
{
  int r;
  asm volatile("call " VDSO_STR : "=a"(r) : "a"(number) : "memory");
}

// Cycles per iteration of `body` over N iterations, the second time round.
#define PER_CALL(body)                                   \
  ({                                                     \
    uint64_t t0 = 0, t1 = 0;                             \
    for (int pass = 0; pass < 2; pass++) {               \
      t0 = rdtsc();                                      \
      for (volatile int i = 0; i < N; i++) {             \
        body;                                            \
      }                                                  \
      t1 = rdtsc();                                      \
    }                                                    \
    (uint32_t)(t1 - t0) / N;                             \
  })

int
main(void)
{
  uint32_t loop = PER_CALL((void)0);
  uint32_t call = PER_CALL(empty()) - loop;
  uint32_t int80 = PER_CALL(by_int80()) - loop;
  uint32_t sysenter = PER_CALL(by_vdso(SYS_getpid)) - loop;
  uint32_t cr3 = PER_CALL(by_vdso(SYS_getpid_cr3)) - loop;
  printf("cost: per call, %d iterations, loop overhead %u taken off\n", N, loop);
  printf("cost: function call %u\n", call);
  printf("cost: int 0x80 %u\n", int80);
  printf("cost: sysenter %u\n", sysenter);
  printf("cost: sysenter with two cr3 writes %u\n", cr3);
  return 0;
}
