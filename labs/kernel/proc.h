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
// SLEEPING is lab 5's: a process in sleep(), until its tick comes.
enum procstate { UNUSED, RUNNABLE, RUNNING, EXITED, KILLED, WAITING, ZOMBIE, SLEEPING };

// Lab 5: the kernel registers swtch (swtch.S) saves on a kernel thread's
// stack and the address it returns to, lowest address first, as they lie
// there: a struct context * is that thread's saved ESP.
struct context {
  uint32_t edi;
  uint32_t esi;
  uint32_t ebx;
  uint32_t ebp;
  uint32_t eip;
};

// Lab 5: how many timer ticks a process runs in ring 3 before the timer
// gives the CPU to the next runnable process.
#define QUANTUM     2

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
/* BEGIN SOLUTION lab5 */
  uint8_t *kstack;          // its kernel stack: one page; ESP0 points at its top while it runs
  struct context *context;  // its kernel registers, where swtch left them, while it does not run
  uint32_t wake;            // while SLEEPING: the tick to wake at
  int killed;               // kill() was called on it: it ends before it runs ring-3 code again
  uint32_t slice;           // ticks of its current time slice
  uint32_t ticks;           // timer ticks that found it running in ring 3
/* END SOLUTION */
/* STUDENT lab5: what a process needs to be preempted: its kernel stack, its saved kernel context, when a sleeper wakes, whether it was killed, how much of its time slice it used */
/* BEFORE lab4 */
  uint32_t *pgtab;          // its page table: the user window's contents
/* END SOLUTION */
/* STUDENT lab4: what a process needs beyond lab 3's: its page directory, its parent, its heap, where a waiting parent wants the status */
/* BEGIN SOLUTION lab5 */
  struct trapframe *tf;     // its user registers: the trap frame at the top of its kernel stack
/* BEFORE lab5 */
  struct trapframe tf;      // its user registers while it is not running
/* END SOLUTION */
/* STUDENT lab5: the trap frame lives on the process's own kernel stack now: keep a pointer to it */
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
// Lab 5's: the timer's share of scheduling, and its system calls.
void proc_timer(struct trapframe *tf);
void proc_sleep(struct trapframe *tf);
void proc_kill(struct trapframe *tf);
void swtch(struct context **old, struct context *new);
void proc_sbrk(struct trapframe *tf);

#endif
