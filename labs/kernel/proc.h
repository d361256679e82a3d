// Processes (lab 3): each Multiboot module becomes one, in module order, with
// pids 1, 2, 3, ... They take turns on one CPU: a process runs until it makes
// a system call that gives the CPU away (yield, exit) or until it faults,
// which ends it.
#ifndef PROC_H
#define PROC_H

#include "traps.h"
#include "types.h"

#define NPROC       64

// WAITING and ZOMBIE are lab 4's: a parent in wait(), and a child that has
// ended and keeps its status until its parent collects it.
enum procstate { UNUSED, RUNNABLE, RUNNING, EXITED, KILLED, WAITING, ZOMBIE };

struct proc {
  enum procstate state;
  int pid;
  char name[32];            // the first word of the module's command line
/* BEGIN SOLUTION lab4 */
  uint32_t *pgdir;          // its address space: the user half its own, the kernel half shared
  struct proc *parent;      // the process that forked it; NULL for a module's
  uint32_t heap_base;       // the heap is [heap_base, brk), after the program's segments
  uint32_t brk;
  uint32_t wait_status;     // while WAITING: where wait() puts the child's status (0: nowhere)
/* BEFORE lab4 */
  uint32_t *pgtab;          // its page table: the user window's contents
/* END SOLUTION */
/* STUDENT lab4: what a process needs beyond lab 3's: its page directory, its parent, its heap, where a waiting parent wants the status */
  struct trapframe tf;      // its user registers while it is not running
  int status;               // exit(status)
};

// The process whose registers are in the trap frame on the kernel stack.
extern struct proc *curproc;

void run_user_programs(void) __attribute__((noreturn));
void proc_fault(struct trapframe *tf);
void proc_exit(struct trapframe *tf, int status);
void proc_yield(struct trapframe *tf);
// Lab 4's system calls; each leaves its result in tf->eax.
void proc_fork(struct trapframe *tf);
void proc_wait(struct trapframe *tf);
void proc_sbrk(struct trapframe *tf);

#endif
