// Processes (lab 3): each Multiboot module becomes one, in module order, with
// pids 1, 2, 3, ... They take turns on one CPU: a process runs until it makes
// a system call that gives the CPU away (yield, exit) or until it faults,
// which ends it.
#ifndef PROC_H
#define PROC_H

#include "traps.h"
#include "types.h"

#define NPROC       64

enum procstate { UNUSED, RUNNABLE, RUNNING, EXITED, KILLED };

struct proc {
  enum procstate state;
  int pid;
  char name[32];            // the first word of the module's command line
  uint32_t *pgtab;          // its page table: the user window's contents
  struct trapframe tf;      // its user registers while it is not running
  int status;               // exit(status)
};

// The process whose registers are in the trap frame on the kernel stack.
extern struct proc *curproc;

void run_user_programs(void) __attribute__((noreturn));
void proc_fault(struct trapframe *tf);
void proc_exit(struct trapframe *tf, int status);
void proc_yield(struct trapframe *tf);

#endif
