// Paging. Lab 3: one page directory for everything; the kernel's memory is
// mapped to itself and supervisor-only, and a 4 MiB window of user space, one
// page table per process, is where each user program lives. Lab 4: a page
// directory per process, the kernel in the top gigabyte of every one.
#ifndef VM_H
#define VM_H

#include "memlayout.h"
#include "types.h"

#define PGSIZE      4096
#define PGROUNDUP(a)    (((a) + PGSIZE - 1) & ~(uint32_t)(PGSIZE - 1))
#define PGROUNDDOWN(a)  ((a) & ~(uint32_t)(PGSIZE - 1))

// A page-directory or page-table entry: the frame address in bits 12-31 and flags.
#define PTE_P       0x001   // present
#define PTE_W       0x002   // writable
#define PTE_U       0x004   // user: ring 3 may use the page (both levels must say so)
#define PTE_PS      0x080   // in a directory entry: a 4 MiB page (needs CR4.PSE)
#define PTE_ADDR(e) ((e) & ~0xFFFu)

#define PDX(va)     (((uint32_t)(va) >> 22) & 0x3FF)   // page-directory index
#define PTX(va)     (((uint32_t)(va) >> 12) & 0x3FF)   // page-table index

/* BEGIN SOLUTION lab4 */
// Every process's user space is [0, TASK_SIZE) (memlayout.h). Its stack ends
// at the top of it and grows down on demand, as far as USTACK_MAX below the
// top; the heap starts after the program's last segment and grows up (sbrk).
#define USTACK_TOP  TASK_SIZE
#define USTACK_MAX  0x40000                   // 256 KiB
#define USTACK_LIMIT (USTACK_TOP - USTACK_MAX) // the lowest address the stack may reach

void vm_init(uint32_t free_start);
uint32_t *pgdir_create(void);
void pgdir_free(uint32_t *pgdir);
int pgdir_copy(uint32_t *dst, uint32_t *src);
int map_user_page(uint32_t *pgdir, uint32_t va, int writable);
void unmap_user_page(uint32_t *pgdir, uint32_t va);
int copy_to_user_page(uint32_t *pgdir, uint32_t va, const void *src, uint32_t len);
void switch_address_space(uint32_t *pgdir);
void switch_kernel_space(void);
int user_range_ok(uint32_t va, uint32_t len, int write);
uint32_t *user_pte(uint32_t *pgdir, uint32_t va);

// Physical frames (kalloc.c), handed out as their direct-map addresses.
void kinit(uint32_t free_start, uint32_t ram_top);
void *kalloc(void);
void kfree(void *frame);
void kref(void *frame);
uint32_t krefs(void *frame);
uint32_t free_frames(void);
// Copy-on-write: after fork, parent and child map the same frame read-only
// with this bit (one the MMU ignores, left to the OS) until one of them writes.
#define PTE_COW     0x200
// Lab 6: a user page that is not the process's own (the vDSO, in the
// kernel's image): never freed or copied with the address space.
#define PTE_SHARED  0x400
int cow_fault(uint32_t *pgdir, uint32_t va);
/* BEFORE lab4 */
// The user window: the 4 MiB the user programs are linked into (program.ld)
// and the one page of stack at its top. Everything outside it is the kernel's.
#define USER_BASE   0x08000000
#define USER_TOP    0x08400000
#define USTACK_TOP  USER_TOP
#define USTACK_BASE (USTACK_TOP - PGSIZE)

void vm_init(uint32_t free_start);
uint32_t *alloc_page_table(void);
int map_user_page(uint32_t *pgtab, uint32_t va, int writable);
int copy_to_user_page(uint32_t *pgtab, uint32_t va, const void *src, uint32_t len);
void switch_user_window(uint32_t *pgtab);
int user_range_ok(uint32_t va, uint32_t len, int write);
/* END SOLUTION */
/* STUDENT lab4: the layout of user space (stack top, stack limit) and the functions of your address spaces and frame allocator */

#endif
