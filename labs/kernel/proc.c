// Loading user programs and taking turns between them (lab 3).
//
// All traps from ring 3 land on one kernel stack, kstack, whose top is
// ESP0 in the TSS. The trap frame at its top therefore always holds the user
// registers of the running process, and switching processes is a matter of
// copying frames: save the running process's frame into its struct proc, copy
// the next one's over it, and let trapret's IRET resume that one instead.
// The kernel never waits inside a system call, so nothing else on the kernel
// stack needs saving.

#include "elf.h"
#include "fastcall.h"
#include "gdt.h"
#include "kprintf.h"
#include "memlayout.h"
#include "multiboot.h"
#include "param.h"
#include "pit.h"
#include "proc.h"
#include "serial.h"
#include "syscall.h"
#include "vm.h"
#include "x86.h"

static struct proc procs[NPROC];
struct proc *curproc;
static int nexited, nkilled;

// The kernel stack for traps from ring 3.
static uint8_t kstack[KSTACKSIZE] __attribute__((aligned(16)));

#define FL_IF       0x200     // EFLAGS.IF: interrupts enabled
#define FL_RSVD1    0x002     // EFLAGS bit 1 always reads as 1

extern char end[];            // kernel.ld: the first byte after the kernel
extern void trapret(void);    // trapentry.S

// The process's name: the first word of the module's command line, without
// a directory ("build/programs/hello.elf one two" is "hello.elf").
static void
set_name(struct proc *p, const char *cmdline)
{
  const char *start = cmdline;
  for (const char *c = cmdline; *c && *c != ' '; c++)
    if (*c == '/')
      start = c + 1;
  int i = 0;
  for (; start[i] && start[i] != ' ' && i < (int)sizeof(p->name) - 1; i++)
    p->name[i] = start[i];
  p->name[i] = 0;
}

/* BEGIN SOLUTION lab4 */
static int nextpid = 1;

// Place an ELF32 executable's segments at their linked addresses in p's
// address space, start its heap after them and its stack at the top of user
// space, and point p's registers at its entry. Returns NULL when it loaded,
// or what is wrong with it.
static const char *
load_elf(struct proc *p, const uint8_t *image, uint32_t size)
{
  const struct elfhdr *eh = (const struct elfhdr *)image;

  if (size < sizeof(*eh) || eh->magic != ELF_MAGIC)
    return "not an ELF file";
  if (eh->class != ELFCLASS32 || eh->data != ELFDATA2LSB || eh->machine != EM_386 || eh->type != ET_EXEC)
    return "not a 32-bit little-endian i386 executable";
  if (eh->phentsize != sizeof(struct proghdr) || eh->phoff > size || eh->phnum > (size - eh->phoff) / sizeof(struct proghdr))
    return "program headers outside the file";
  if (eh->entry < PGSIZE || eh->entry >= USTACK_LIMIT)
    return "entry point outside user space";

  uint32_t top = 0;
  const struct proghdr *ph = (const struct proghdr *)(image + eh->phoff);
  for (int i = 0; i < eh->phnum; i++, ph++) {
    if (ph->type != PT_LOAD || ph->memsz == 0)
      continue;
    // Trust nothing in the file: the segment must lie in user space between
    // the never-mapped first page and the stack's area, and its bytes in the file.
    if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset)
      return "a segment's bytes lie outside the file";
    if (ph->vaddr < PGSIZE || ph->vaddr >= USTACK_LIMIT || ph->memsz > USTACK_LIMIT - ph->vaddr)
      return "a segment lies outside user space";
    for (uint32_t va = PGROUNDDOWN(ph->vaddr); va < ph->vaddr + ph->memsz; va += PGSIZE)
      if (map_user_page(p->pgdir, va, (ph->flags & PF_W) != 0) != 0)
        return "out of memory";
    copy_to_user_page(p->pgdir, ph->vaddr, image + ph->offset, ph->filesz);
    if (ph->vaddr + ph->memsz > top)
      top = ph->vaddr + ph->memsz;
  }
  p->heap_base = p->brk = PGROUNDUP(top);

  // The stack's first page; the ones below come when they are touched.
  if (map_user_page(p->pgdir, USTACK_TOP - PGSIZE, 1) != 0)
    return "out of memory";

/* BEGIN SOLUTION lab5 */
  struct trapframe *tf = p->tf;
/* BEFORE lab5 */
  struct trapframe *tf = &p->tf;
/* END SOLUTION */
/* STUDENT lab5: the initial registers go into the trap frame on the kernel stack */
  tf->cs = UCODE_SEL;
  tf->ds = tf->es = tf->fs = tf->gs = UDATA_SEL;
  tf->ss = UDATA_SEL;
  tf->eip = eh->entry;
  tf->esp = USTACK_TOP;
  tf->eflags = FL_IF | FL_RSVD1;
  return NULL;
}

/* BEGIN SOLUTION lab5 */
// Lab 5: every process has a kernel stack of its own, one page from kalloc.
// A trap from ring 3 lands at its top (the TSS's ESP0 is set to it whenever
// the process is switched to), so the trap frame there is the process's user
// registers, and the kernel can stop a process anywhere in the kernel (in
// sleep, wait, or the timer's handler) and resume it later. Switching is
// swtch: from the running process's kernel thread to the scheduler's (on the
// boot stack), and from there to the next process's.

// The scheduler's kernel context, while a process runs.
static struct context *scheduler_context;

// Where a process that never ran starts: swtch "returns" here the first time,
// and forkret returns into trapret, which pops the trap frame into ring 3.
static void
forkret(void)
{
}

// p's kernel stack, laid out as its first swtch expects: the trap frame at
// the top, trapret's address below it (forkret's return address), and a
// context whose EIP is forkret. Returns 0, or -1 without a frame for it.
static int
kstack_init(struct proc *p)
{
  p->kstack = kalloc();
  if (p->kstack == NULL)
    return -1;
  uint8_t *sp = p->kstack + PGSIZE;
  sp -= sizeof(struct trapframe);
  p->tf = (struct trapframe *)sp;
  sp -= sizeof(uint32_t);
  *(uint32_t *)sp = (uint32_t)trapret;
  sp -= sizeof(struct context);
  p->context = (struct context *)sp;
  p->context->eip = (uint32_t)forkret;
  return 0;
}

// One process per module, in module order.
static void
load_modules(void)
{
  if ((bootinfo->flags & MB_INFO_MODS) == 0)
    return;
  struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
  for (uint32_t i = 0; i < bootinfo->mods_count && i < NPROC; i++) {
    struct proc *p = &procs[nextpid - 1];
    set_name(p, (const char *)mods[i].cmdline);
    p->pgdir = pgdir_create();
    const char *why = "out of memory";
    if (p->pgdir != NULL && kstack_init(p) == 0)
      why = load_elf(p, P2V(mods[i].mod_start), mods[i].mod_end - mods[i].mod_start);
    if (why != NULL) {
      kprintf("exec module %u (%s): %s; skipped\n", i, p->name, why);
      if (p->pgdir != NULL)
        pgdir_free(p->pgdir);
      if (p->kstack != NULL)
        kfree(p->kstack);
      p->pgdir = NULL;
      p->kstack = NULL;
      continue;                            // its slot (and pid) go to the next module
    }
    p->pid = nextpid++;
    p->state = RUNNABLE;
    kprintf("exec pid %d: %s entry %p\n", p->pid, p->name, (void *)p->tf->eip);
  }
}

// The first physical byte after the kernel and the modules: free memory starts there.
static uint32_t
free_memory_start(void)
{
  uint32_t start = V2P(end);
  if (bootinfo->flags & MB_INFO_MODS) {
    struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
    for (uint32_t i = 0; i < bootinfo->mods_count; i++)
      if (mods[i].mod_end > start)
        start = mods[i].mod_end;
  }
  return start;
}

static void
finish(void)
{
  kprintf("all processes done: %d exited, %d killed\n", nexited, nkilled);
  kprintf("free frames: %u\n", free_frames());
  serial_drain();
  debug_exit(0);
  panic("debug exit did not stop the machine");
}

static void end_process(int status) __attribute__((noreturn));

// Give up the CPU: back to the scheduler, from whatever state the caller
// left curproc in. Returns when the scheduler picks this process again,
// unless it was killed meanwhile: then it ends here, before it can go back
// to ring 3. Interrupts are off (the kernel runs with IF = 0).
static void
sched(void)
{
  swtch(&curproc->context, scheduler_context);
  if (curproc->killed) {
    kprintf("killed pid %d: kill()\n", curproc->pid);
    nkilled++;
    end_process(-1);
  }
}

// Whether anyone may still run: a process that is not free and not a zombie.
static int
anyone_alive(void)
{
  for (struct proc *p = procs; p < &procs[NPROC]; p++)
    if (p->state != UNUSED && p->state != ZOMBIE)
      return 1;
  return 0;
}

// The scheduler, on the boot stack, forever: run the next runnable process
// after the last one, round robin, with its address space in CR3 and its
// kernel stack in ESP0, until it gives the CPU back. With nobody runnable
// but someone asleep, halt with interrupts on until the timer wakes them
// (no spinning: HLT). With nobody left, end the run.
static void __attribute__((noreturn))
scheduler(void)
{
  int last = NPROC - 1;
  for (;;) {
    struct proc *next = NULL;
    for (int k = 1; k <= NPROC && next == NULL; k++) {
      struct proc *p = &procs[(last + k) % NPROC];
      if (p->state == RUNNABLE)
        next = p;
    }
    if (next == NULL) {
      if (!anyone_alive())
        finish();
      // Everyone sleeps or waits: the timer's handler wakes sleepers.
      sti();
      hlt();
      cli();
      continue;
    }
    last = next - procs;
    curproc = next;
    next->state = RUNNING;
    next->slice = 0;
    tss.esp0 = (uint32_t)(next->kstack + PGSIZE);
/* BEGIN SOLUTION lab6 */
    fastcall_switch(next);
/* END SOLUTION */
/* STUDENT lab6: point SYSENTER_ESP at the next process's kernel stack too (fastcall_switch) */
    switch_address_space(next->pgdir);
    swtch(&scheduler_context, next->context);
    // next gave the CPU back. If it ended, its kernel stack, which it was
    // still running on, can go now.
    curproc = NULL;
    if ((next->state == UNUSED || next->state == ZOMBIE) && next->kstack != NULL) {
      kfree(next->kstack);
      next->kstack = NULL;
    }
  }
}

void
proc_yield(struct trapframe *tf)
{
  (void)tf;
  curproc->state = RUNNABLE;
  sched();
}

// The end of curproc, by exit, a fault or kill, on its own kernel stack: its
// address space goes back at once (leaving it first), its children lose
// their parent, and its status waits for its parent, who is woken if it
// waits. The kernel stack goes when the scheduler has switched away from it.
static void
end_process(int status)
{
  struct proc *p = curproc;

  kprintf("ticks pid %d: %u\n", p->pid, p->ticks);
  switch_kernel_space();
  pgdir_free(p->pgdir);
  p->pgdir = NULL;
  p->status = status;
  for (struct proc *c = procs; c < &procs[NPROC]; c++) {
    if (c->parent == p) {
      c->parent = NULL;
      if (c->state == ZOMBIE)
        c->state = UNUSED;
    }
  }
  struct proc *parent = p->parent;
  if (parent == NULL) {
    p->state = UNUSED;
  } else {
    p->state = ZOMBIE;
    if (parent->state == WAITING)
      parent->state = RUNNABLE;
  }
  swtch(&p->context, scheduler_context);
  panic("end_process: pid %d ran again", p->pid);
}

void
proc_exit(struct trapframe *tf, int status)
{
  (void)tf;
  kprintf("exit pid %d: status %d\n", curproc->pid, status);
  nexited++;
  end_process(status);
}

// A page fault in ring 3 just below the stack, within its limit: the stack
// grows by the page. Returns 1 when the process can go on.
static int
grow_stack(struct trapframe *tf)
{
  uint32_t va = rcr2();
  if (tf->trapno != T_PGFLT || (tf->err & PFERR_P) != 0)
    return 0;
  if (va < USTACK_LIMIT || va >= USTACK_TOP || va < curproc->brk)
    return 0;
  return map_user_page(curproc->pgdir, PGROUNDDOWN(va), 1) == 0;
}

// An exception in ring 3: the process did something it may not, and it ends
// here, unless it was its stack growing or a copy-on-write page. The kernel
// itself is fine, so the next process runs.
void
proc_fault(struct trapframe *tf)
{
  if (grow_stack(tf))
    return;
  if (tf->trapno == T_PGFLT && (tf->err & 7) == 7 && cow_fault(curproc->pgdir, PGROUNDDOWN(rcr2())) == 0)
    return;
  kprintf("killed pid %d: %s (vector %d) err %p ", curproc->pid, trap_name(tf->trapno), tf->trapno, (void *)tf->err);
  if (tf->trapno == T_PGFLT)
    kprintf("cr2 %p ", (void *)rcr2());
  kprintf("at 0x%04x:%p\n", tf->cs, (void *)tf->eip);
  nkilled++;
  end_process(-1);
}

// fork(): a new process with a copy of the caller's user space and
// registers, on a kernel stack of its own; it starts as if returning from
// fork with 0.
void
proc_fork(struct trapframe *tf)
{
  struct proc *child = NULL;
  for (struct proc *p = procs; p < &procs[NPROC] && child == NULL; p++)
    if (p->state == UNUSED)
      child = p;
  if (child == NULL) {
    tf->eax = -EAGAIN;
    return;
  }
  child->pgdir = pgdir_create();
  if (child->pgdir == NULL || pgdir_copy(child->pgdir, curproc->pgdir) != 0 || kstack_init(child) != 0) {
    if (child->pgdir != NULL)
      pgdir_free(child->pgdir);
    child->pgdir = NULL;
    tf->eax = -ENOMEM;
    return;
  }
  for (int i = 0; i < (int)sizeof(child->name); i++)
    child->name[i] = curproc->name[i];
  child->pid = nextpid++;
  child->parent = curproc;
  child->heap_base = curproc->heap_base;
  child->brk = curproc->brk;
  child->status = 0;
  child->killed = 0;
  child->ticks = 0;
  *child->tf = *tf;
  child->tf->eax = 0;
  child->state = RUNNABLE;
  tf->eax = child->pid;
}

// wait(&status): collect a child that has ended, or sleep until one does.
void
proc_wait(struct trapframe *tf)
{
  uint32_t status = tf->ebx;
  if (status != 0 && !user_range_ok(status, sizeof(int), 1)) {
    tf->eax = -EFAULT;
    return;
  }
  for (;;) {
    int children = 0;
    for (struct proc *c = procs; c < &procs[NPROC]; c++) {
      if (c->parent != curproc)
        continue;
      children++;
      if (c->state == ZOMBIE) {
        if (status != 0)
          copy_to_user_page(curproc->pgdir, status, &c->status, sizeof(c->status));
        tf->eax = c->pid;
        c->state = UNUSED;
        c->parent = NULL;
        return;
      }
    }
    if (children == 0) {
      tf->eax = -ECHILD;
      return;
    }
    curproc->state = WAITING;
    sched();
  }
}

// The timer's part, at every tick (IF = 0, the PIC already acknowledged):
// wake the sleepers whose tick has come, and take the CPU from a process
// that has used its time slice in ring 3. The kernel itself is never
// preempted: a tick that finds the CPU in the kernel only counts.
void
proc_timer(struct trapframe *tf)
{
  for (struct proc *p = procs; p < &procs[NPROC]; p++)
    if (p->state == SLEEPING && (int32_t)(ticks - p->wake) >= 0)
      p->state = RUNNABLE;
  if (curproc == NULL || (tf->cs & 3) != DPL_USER)
    return;
  curproc->ticks++;
  if (++curproc->slice >= QUANTUM) {
    curproc->state = RUNNABLE;
    sched();
  }
}

// sleep(n): give up the CPU until n ticks from now.
void
proc_sleep(struct trapframe *tf)
{
  tf->eax = 0;
  if (tf->ebx == 0)
    return;
  curproc->wake = ticks + tf->ebx;
  curproc->state = SLEEPING;
  sched();
}

// kill(pid): the process ends before it runs ring-3 code again. A sleeper
// or a waiting parent is woken for it; the caller itself ends at once.
void
proc_kill(struct trapframe *tf)
{
  int pid = (int)tf->ebx;
  for (struct proc *p = procs; p < &procs[NPROC]; p++) {
    if (p->pid != pid || p->state == UNUSED || p->state == ZOMBIE)
      continue;
    p->killed = 1;
    if (p->state == SLEEPING || p->state == WAITING)
      p->state = RUNNABLE;
    tf->eax = 0;
    if (p == curproc) {
      curproc->state = RUNNABLE;
      sched();
    }
    return;
  }
  tf->eax = -ESRCH;
}
/* BEFORE lab5 */
// One process per module, in module order.
static void
load_modules(void)
{
  if ((bootinfo->flags & MB_INFO_MODS) == 0)
    return;
  struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
  for (uint32_t i = 0; i < bootinfo->mods_count && i < NPROC; i++) {
    struct proc *p = &procs[nextpid - 1];
    set_name(p, (const char *)mods[i].cmdline);
    p->pgdir = pgdir_create();
    const char *why = p->pgdir == NULL ? "out of memory" : load_elf(p, P2V(mods[i].mod_start), mods[i].mod_end - mods[i].mod_start);
    if (why != NULL) {
      kprintf("exec module %u (%s): %s; skipped\n", i, p->name, why);
      if (p->pgdir != NULL)
        pgdir_free(p->pgdir);
      p->pgdir = NULL;
      continue;                            // its slot (and pid) go to the next module
    }
    p->pid = nextpid++;
    p->state = RUNNABLE;
    kprintf("exec pid %d: %s entry %p\n", p->pid, p->name, (void *)p->tf.eip);
  }
}

// The first physical byte after the kernel and the modules: free memory starts there.
static uint32_t
free_memory_start(void)
{
  uint32_t start = V2P(end);
  if (bootinfo->flags & MB_INFO_MODS) {
    struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
    for (uint32_t i = 0; i < bootinfo->mods_count; i++)
      if (mods[i].mod_end > start)
        start = mods[i].mod_end;
  }
  return start;
}

static void
finish(void)
{
  kprintf("all processes done: %d exited, %d killed\n", nexited, nkilled);
  kprintf("free frames: %u\n", free_frames());
  serial_drain();
  debug_exit(0);
  panic("debug exit did not stop the machine");
}

// The trap frame tf (the one on top of kstack) belongs to the running
// process; make it the next runnable one's, round robin after curproc, and
// switch to that process's address space. With nobody left, end the run.
static void
schedule(struct trapframe *tf)
{
  if (curproc->state == RUNNING || curproc->state == WAITING)
    curproc->tf = *tf;
  if (curproc->state == RUNNING)
    curproc->state = RUNNABLE;
  int at = curproc - procs;
  for (int k = 1; k <= NPROC; k++) {
    struct proc *p = &procs[(at + k) % NPROC];
    if (p->state == RUNNABLE) {
      curproc = p;
      p->state = RUNNING;
      *tf = p->tf;
      switch_address_space(p->pgdir);
      return;
    }
  }
  finish();
}

void
proc_yield(struct trapframe *tf)
{
  schedule(tf);
}

// A parent in wait() takes child's status: its pid as wait's result, the
// status at the address it gave. The child's slot is free after that.
static void
collect(struct proc *parent, struct proc *child, struct trapframe *tf)
{
  if (parent->wait_status != 0)
    copy_to_user_page(parent->pgdir, parent->wait_status, &child->status, sizeof(child->status));
  tf->eax = child->pid;
  child->state = UNUSED;
  child->parent = NULL;
}

// The end of curproc, by exit or by a fault: its memory goes back at once
// (leaving its address space first), its children lose their parent, and its
// status waits for its parent, or goes to it if it is already waiting.
static void
end_process(struct trapframe *tf, int status)
{
  struct proc *p = curproc;

  switch_kernel_space();
  pgdir_free(p->pgdir);
  p->pgdir = NULL;
  p->status = status;
  for (struct proc *c = procs; c < &procs[NPROC]; c++) {
    if (c->parent == p) {
      c->parent = NULL;
      if (c->state == ZOMBIE)
        c->state = UNUSED;
    }
  }
  struct proc *parent = p->parent;
  if (parent == NULL) {
    p->state = UNUSED;
  } else if (parent->state == WAITING) {
    collect(parent, p, &parent->tf);
    parent->state = RUNNABLE;
  } else {
    p->state = ZOMBIE;
  }
  schedule(tf);
}

void
proc_exit(struct trapframe *tf, int status)
{
  kprintf("exit pid %d: status %d\n", curproc->pid, status);
  nexited++;
  end_process(tf, status);
}

// A page fault in ring 3 just below the stack, within its limit: the stack
// grows by the page. Returns 1 when the process can go on.
static int
grow_stack(struct trapframe *tf)
{
  uint32_t va = rcr2();
  if (tf->trapno != T_PGFLT || (tf->err & PFERR_P) != 0)
    return 0;
  if (va < USTACK_LIMIT || va >= USTACK_TOP || va < curproc->brk)
    return 0;
  return map_user_page(curproc->pgdir, PGROUNDDOWN(va), 1) == 0;
}

// An exception in ring 3: the process did something it may not, and it ends
// here, unless it was its stack growing. The kernel itself is fine, so the
// next process runs.
//   killed pid 2: #PF page fault (vector 14) err 0x00000007 cr2 0x00100000 at 0x001b:0x08048012
//   killed pid 3: #GP general protection (vector 13) err 0x00000000 at 0x001b:0x08048010
void
proc_fault(struct trapframe *tf)
{
  if (grow_stack(tf))
    return;
  // A write (W) by ring 3 (U) to a present page (P): a copy-on-write page's
  // first write after fork, which is not a fault of the process's.
  if (tf->trapno == T_PGFLT && (tf->err & 7) == 7 && cow_fault(curproc->pgdir, PGROUNDDOWN(rcr2())) == 0)
    return;
  kprintf("killed pid %d: %s (vector %d) err %p ", curproc->pid, trap_name(tf->trapno), tf->trapno, (void *)tf->err);
  if (tf->trapno == T_PGFLT)
    kprintf("cr2 %p ", (void *)rcr2());
  kprintf("at 0x%04x:%p\n", tf->cs, (void *)tf->eip);
  nkilled++;
  end_process(tf, -1);
}

// fork(): a new process with a copy of the caller's user space and
// registers; it starts as if returning from fork with 0.
void
proc_fork(struct trapframe *tf)
{
  struct proc *child = NULL;
  for (struct proc *p = procs; p < &procs[NPROC] && child == NULL; p++)
    if (p->state == UNUSED)
      child = p;
  if (child == NULL) {
    tf->eax = -EAGAIN;
    return;
  }
  child->pgdir = pgdir_create();
  if (child->pgdir == NULL || pgdir_copy(child->pgdir, curproc->pgdir) != 0) {
    if (child->pgdir != NULL)
      pgdir_free(child->pgdir);
    child->pgdir = NULL;
    tf->eax = -ENOMEM;
    return;
  }
  for (int i = 0; i < (int)sizeof(child->name); i++)
    child->name[i] = curproc->name[i];
  child->pid = nextpid++;
  child->parent = curproc;
  child->heap_base = curproc->heap_base;
  child->brk = curproc->brk;
  child->status = 0;
  child->tf = *tf;
  child->tf.eax = 0;
  child->state = RUNNABLE;
  tf->eax = child->pid;
}

// wait(&status): collect a child that has ended, or sleep until one does.
void
proc_wait(struct trapframe *tf)
{
  uint32_t status = tf->ebx;
  if (status != 0 && !user_range_ok(status, sizeof(int), 1)) {
    tf->eax = -EFAULT;
    return;
  }
  int children = 0;
  for (struct proc *c = procs; c < &procs[NPROC]; c++) {
    if (c->parent != curproc)
      continue;
    children++;
    if (c->state == ZOMBIE) {
      curproc->wait_status = status;
      collect(curproc, c, tf);
      return;
    }
  }
  if (children == 0) {
    tf->eax = -ECHILD;
    return;
  }
  curproc->wait_status = status;
  curproc->state = WAITING;
  schedule(tf);
}

/* END SOLUTION */
/* STUDENT lab5: a kernel stack per process (kalloc'd, the trap frame at its top, ESP0 set to its top at every switch); a scheduler on the boot stack that runs RUNNABLE processes round robin through swtch and halts (STI; HLT) when all sleep; sched() for a process that gives up the CPU; proc_timer: wake sleepers, preempt a process that used QUANTUM ticks in ring 3; sleep, kill (the victim ends before it runs ring-3 code again); exit, fork, wait and faults on the new stacks */

// sbrk(n): move the end of the heap by n bytes, mapping or unmapping whole
// pages; the old end, or -ENOMEM / -EINVAL with nothing changed.
void
proc_sbrk(struct trapframe *tf)
{
  int32_t n = (int32_t)tf->ebx;
  uint32_t old = curproc->brk;
  uint32_t new = old + (uint32_t)n;

  if (n > 0 && (new < old || new > USTACK_LIMIT)) {
    tf->eax = -ENOMEM;
    return;
  }
  if (n < 0 && (new > old || new < curproc->heap_base)) {
    tf->eax = -EINVAL;
    return;
  }
  for (uint32_t va = PGROUNDUP(old); va < PGROUNDUP(new); va += PGSIZE) {
    if (map_user_page(curproc->pgdir, va, 1) != 0) {
      for (uint32_t undo = PGROUNDUP(old); undo < va + PGSIZE; undo += PGSIZE)
        unmap_user_page(curproc->pgdir, undo);
      tf->eax = -ENOMEM;
      return;
    }
  }
  for (uint32_t va = PGROUNDUP(new); va < PGROUNDUP(old); va += PGSIZE)
    unmap_user_page(curproc->pgdir, va);
  curproc->brk = new;
  tf->eax = old;
}
/* BEFORE lab4 */
// Place an ELF32 executable's segments in p's page table and point p's
// registers at its entry. Returns NULL when it loaded, or what is wrong with it.
static const char *
load_elf(struct proc *p, const uint8_t *image, uint32_t size)
{
  const struct elfhdr *eh = (const struct elfhdr *)image;

  if (size < sizeof(*eh) || eh->magic != ELF_MAGIC)
    return "not an ELF file";
  if (eh->class != ELFCLASS32 || eh->data != ELFDATA2LSB || eh->machine != EM_386 || eh->type != ET_EXEC)
    return "not a 32-bit little-endian i386 executable";
  if (eh->phentsize != sizeof(struct proghdr) || eh->phoff > size || eh->phnum > (size - eh->phoff) / sizeof(struct proghdr))
    return "program headers outside the file";
  if (eh->entry < USER_BASE || eh->entry >= USTACK_BASE)
    return "entry point outside the user window";

  const struct proghdr *ph = (const struct proghdr *)(image + eh->phoff);
  for (int i = 0; i < eh->phnum; i++, ph++) {
    if (ph->type != PT_LOAD || ph->memsz == 0)
      continue;
    // Trust nothing in the file: the segment must fit in the user window
    // below the stack, and its bytes in the file.
    if (ph->filesz > ph->memsz || ph->offset > size || ph->filesz > size - ph->offset)
      return "a segment's bytes lie outside the file";
    if (ph->vaddr < USER_BASE || ph->vaddr >= USTACK_BASE || ph->memsz > USTACK_BASE - ph->vaddr)
      return "a segment lies outside the user window";
/* BEGIN SOLUTION lab3 */
    // Map every page the segment touches, writable only if the segment is,
    // then copy the file's part; the rest of memsz stays zero (fresh frames are).
    for (uint32_t va = PGROUNDDOWN(ph->vaddr); va < ph->vaddr + ph->memsz; va += PGSIZE)
      map_user_page(p->pgtab, va, (ph->flags & PF_W) != 0);
    copy_to_user_page(p->pgtab, ph->vaddr, image + ph->offset, ph->filesz);
/* END SOLUTION */
/* STUDENT lab3: map each page of [vaddr, vaddr + memsz) in p->pgtab with map_user_page (writable only if the segment has PF_W), then copy filesz bytes from the file with copy_to_user_page */
  }

/* BEGIN SOLUTION lab3 */
  // One page of stack at the top of the window; below it nothing is mapped,
  // so running off the end of the stack is a page fault.
  map_user_page(p->pgtab, USTACK_BASE, 1);

  // The registers the process starts with: IRET will load CS:EIP and SS:ESP
  // from here, with RPL 3 selectors, which is what puts the CPU in ring 3.
  struct trapframe *tf = &p->tf;
  tf->cs = UCODE_SEL;
  tf->ds = tf->es = tf->fs = tf->gs = UDATA_SEL;
  tf->ss = UDATA_SEL;
  tf->eip = eh->entry;
  tf->esp = USTACK_TOP;
  tf->eflags = FL_IF | FL_RSVD1;            // IOPL 0: IN, OUT, CLI and STI fault in ring 3
/* END SOLUTION */
/* STUDENT lab3: map the stack page (USTACK_BASE, writable), then set p->tf so that IRET enters the program in ring 3: user code and data selectors, EIP = entry, ESP = USTACK_TOP, EFLAGS with IF (and bit 1) set and IOPL 0 */
  return NULL;
}

// One process per module, in module order.
static void
load_modules(void)
{
  if ((bootinfo->flags & MB_INFO_MODS) == 0)
    return;
  struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
  int pid = 1;
  for (uint32_t i = 0; i < bootinfo->mods_count && i < NPROC; i++) {
    struct proc *p = &procs[pid - 1];
    set_name(p, (const char *)mods[i].cmdline);
    p->pgtab = alloc_page_table();
    const char *why = load_elf(p, (const uint8_t *)mods[i].mod_start, mods[i].mod_end - mods[i].mod_start);
    if (why != NULL) {
      kprintf("exec module %u (%s): %s; skipped\n", i, p->name, why);
      continue;                            // its slot (and pid) go to the next module
    }
    p->pid = pid++;
    p->state = RUNNABLE;
    kprintf("exec pid %d: %s entry %p\n", p->pid, p->name, (void *)p->tf.eip);
  }
}

// The first byte after the kernel and the modules: free memory starts there.
static uint32_t
free_memory_start(void)
{
  uint32_t start = (uint32_t)end;
  if (bootinfo->flags & MB_INFO_MODS) {
    struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
    for (uint32_t i = 0; i < bootinfo->mods_count; i++)
      if (mods[i].mod_end > start)
        start = mods[i].mod_end;
  }
  return start;
}

static void
finish(void)
{
  kprintf("all processes done: %d exited, %d killed\n", nexited, nkilled);
  serial_drain();
  debug_exit(0);
  panic("debug exit did not stop the machine");
}

// The trap frame tf (the one on top of kstack) belongs to the running
// process; make it the next runnable one's, round robin after curproc, and
// switch the user window to that process's pages. With nobody left, end the run.
static void
schedule(struct trapframe *tf)
{
  if (curproc->state == RUNNING) {
    curproc->tf = *tf;
    curproc->state = RUNNABLE;
  }
  int at = curproc - procs;
  for (int k = 1; k <= NPROC; k++) {
    struct proc *p = &procs[(at + k) % NPROC];
    if (p->state == RUNNABLE) {
      curproc = p;
      p->state = RUNNING;
      *tf = p->tf;
      switch_user_window(p->pgtab);
      return;
    }
  }
  finish();
}

void
proc_yield(struct trapframe *tf)
{
  schedule(tf);
}

void
proc_exit(struct trapframe *tf, int status)
{
  kprintf("exit pid %d: status %d\n", curproc->pid, status);
  curproc->status = status;
  curproc->state = EXITED;
  nexited++;
  schedule(tf);
}

// An exception in ring 3: the process did something it may not, and it ends
// here. The kernel itself is fine, so the next process runs.
//   killed pid 2: #PF page fault (vector 14) err 0x00000007 cr2 0x00100000 at 0x001b:0x08048012
//   killed pid 3: #GP general protection (vector 13) err 0x00000000 at 0x001b:0x08048010
void
proc_fault(struct trapframe *tf)
{
  kprintf("killed pid %d: %s (vector %d) err %p ", curproc->pid, trap_name(tf->trapno), tf->trapno, (void *)tf->err);
  if (tf->trapno == T_PGFLT)
    kprintf("cr2 %p ", (void *)rcr2());
  kprintf("at 0x%04x:%p\n", tf->cs, (void *)tf->eip);
/* BEGIN SOLUTION lab3 */
  curproc->state = KILLED;
  nkilled++;
  schedule(tf);
/* END SOLUTION */
/* STUDENT lab3: mark the process killed, count it, and schedule the next one (never return to the faulting instruction) */
}

/* END SOLUTION */
/* STUDENT lab4: load each program into an address space of its own (pgdir_create) at its linked addresses, with a stack page at the top of user space and its heap after its segments; switch CR3 with the process; grow the stack on a page fault just below it (within USTACK_MAX); give back every frame when a process ends; fork (a copy of the user half), wait with the exit status, sbrk; print the free-frame count at the end */

// Lab 3's step in kmain: set up the TSS and paging, make a process of every
// module, and enter the first one in ring 3. The run ends in finish().
void
run_user_programs(void)
{
/* BEGIN SOLUTION lab3 */
  // Load TSS's SS0:ESP0 so that interrupts from user mode use this kernel stack.
  tss.ss0 = KDATA_SEL;
  tss.esp0 = (uint32_t)(kstack + sizeof(kstack));
  // An I/O bitmap offset past the TSS's limit means "no bitmap": with IOPL 0,
  // every IN and OUT in ring 3 is a #GP.
  tss.iomb = sizeof(tss);
  ltr(TSS_SEL);
/* END SOLUTION */
/* STUDENT lab3: store the kernel data selector and the top of kstack in tss.ss0 and tss.esp0, set tss.iomb past the TSS (no I/O bitmap), and load the task register with ltr(TSS_SEL) */
  kprintf("tss: ss0 0x%04x esp0 %p\n", tss.ss0, (void *)tss.esp0);

  vm_init(free_memory_start());
/* BEGIN SOLUTION lab6 */
  fastcall_init();
/* END SOLUTION */
/* STUDENT lab6: set up SYSENTER and choose the vDSO page (fastcall_init) before the first address space is made */
  load_modules();

/* BEGIN SOLUTION lab5 */
  scheduler();
/* BEFORE lab5 */
  // Enter the first process the way every later return to ring 3 goes:
  // put its trap frame at the top of the kernel stack and IRET through trapret.
  struct trapframe *tf = (struct trapframe *)(kstack + sizeof(kstack)) - 1;
  curproc = &procs[NPROC - 1];             // "before" procs[0], for the round robin
  schedule(tf);                            // finishes the run if there is no process
/* BEGIN SOLUTION lab3 */
  asm volatile("movl %0, %%esp\n\t"
               "jmp trapret"
               : : "r"(tf) : "memory");
/* END SOLUTION */
/* STUDENT lab3: switch the stack pointer to tf and jump to trapret, which pops the frame and IRETs into ring 3 */
  panic("run_user_programs: did not enter user mode");
/* END SOLUTION */
/* STUDENT lab5: hand the CPU to the scheduler, which never returns */
}
