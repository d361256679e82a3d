// Where things are in the 4 GiB of virtual memory every process has (lab 4).
// The low 3 GiB, [0, TASK_SIZE), are the process's own: user space. The top
// gigabyte is the kernel's, the same in every process: there the kernel sees
// physical memory from KERNBASE up (the "direct map": physical address p is
// at virtual address KERNBASE + p), and its own code, linked at KERNLINK,
// which is where 1 MiB of physical memory appears in the direct map.
// Included from boot.S and kernel.ld's preprocessed users too, so C-only
// parts are hidden from the assembler.
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#define KERNBASE    0xC0000000            // the first kernel address; physical 0 is mapped here
#define KERNLINK    (KERNBASE + 0x100000) // the kernel's link address: physical 1 MiB, where the loader puts it
#define TASK_SIZE   KERNBASE              // user space is [0, TASK_SIZE)

// The direct map ends where physical memory ends, and at most here: the rest
// of the top gigabyte stays free for mappings the kernel adds later.
#define PHYSTOP     0x38000000            // 896 MiB

// Lab 6: the vDSO, one read-only page of kernel-provided code mapped at the
// same user address in every process, just below the stack's limit (vm.h's
// USTACK_LIMIT). User programs make system calls by calling VDSO_BASE.
#define VDSO_BASE   0xBFFBF000

// The same conversions without casts, for assembly.
#define V2P_WO(x)   ((x) - KERNBASE)
#define P2V_WO(x)   ((x) + KERNBASE)

#ifndef __ASSEMBLER__
// A kernel virtual address in the direct map and the physical address it maps.
#define V2P(a)      ((uint32_t)(a) - KERNBASE)
#define P2V(a)      ((void *)((uint32_t)(a) + KERNBASE))
#endif

#endif
