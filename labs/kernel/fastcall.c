// Lab 6: system calls through SYSENTER and the vDSO. The kernel sets the
// three SYSENTER MSRs once (SYSENTER_ESP again at every switch: it must be
// the running process's kernel stack, as ESP0 is for INT), maps the vDSO page
// into every address space, and serves SYSENTER with the same syscall() as
// INT $0x80, after fetching the two arguments the vDSO's stub had to park on
// the user stack.

#include "fastcall.h"
#include "kprintf.h"
#include "memlayout.h"
#include "mmu.h"
#include "multiboot.h"
#include "proc.h"
#include "syscall.h"
#include "traps.h"
#include "vm.h"
#include "x86.h"

extern char sysenter_entry[], vdso_sysenter[], vdso_int80[];

// The page mapped at VDSO_BASE: the SYSENTER stub, or INT $0x80's.
static char *vdso_page;

// Whether the kernel command line holds `word` as a whole word.
static int
cmdline_has(const char *word)
{
  if ((bootinfo->flags & MB_INFO_CMDLINE) == 0)
    return 0;
  for (const char *p = (const char *)bootinfo->cmdline; *p; ) {
    int i = 0;
    while (word[i] && p[i] == word[i])
      i++;
    if (word[i] == 0 && (p[i] == 0 || p[i] == ' '))
      return 1;
    while (*p && *p != ' ')
      p++;
    while (*p == ' ')
      p++;
  }
  return 0;
}

void
fastcall_init(void)
{
/* BEGIN SOLUTION lab6 */
  // CPUID.01H:EDX.SEP (bit 11): the CPU has SYSENTER and SYSEXIT.
  uint32_t a, b, c, d;
  cpuid(1, &a, &b, &c, &d);
  int sep = (d & (1u << 11)) != 0;
  if (sep && !cmdline_has("vdso=int80")) {
    // SYSEXIT takes CS = SYSENTER_CS + 16 and SS = + 24: the GDT's order
    // (kernel code, kernel data, user code, user data) is what makes that work.
    wrmsr(MSR_SYSENTER_CS, KCODE_SEL);
    wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry);
    vdso_page = vdso_sysenter;
  } else {
    vdso_page = vdso_int80;
  }
/* END SOLUTION */
/* STUDENT lab6: if CPUID.01H:EDX bit 11 (SEP) is set and the command line does not say vdso=int80, write SYSENTER_CS (the kernel code selector) and SYSENTER_EIP (sysenter_entry), and use vdso_sysenter as the vDSO page; otherwise vdso_int80 */
  kprintf("fastcall: vdso at %p uses %s\n", (void *)VDSO_BASE, vdso_page == vdso_sysenter ? "sysenter" : "int 0x80");
}

// The vDSO for a new address space: the same kernel page in every process,
// present, user, read-only, and PTE_SHARED so that it is neither freed nor
// copied with the process's own pages. Returns 0, or -1 without a page table.
int
map_vdso(uint32_t *pgdir)
{
/* BEGIN SOLUTION lab6 */
  uint32_t *pte = user_pte(pgdir, VDSO_BASE);
  if (pte == NULL)
    return -1;
  *pte = V2P(vdso_page) | PTE_SHARED | PTE_U | PTE_P;
  return 0;
/* END SOLUTION */
/* STUDENT lab6: point the user page at VDSO_BASE in pgdir at vdso_page's frame: present, user, NOT writable, PTE_SHARED */
  return -1;
}

// Where SYSENTER will put the kernel's ESP: the top of p's kernel stack.
void
fastcall_switch(struct proc *p)
{
/* BEGIN SOLUTION lab6 */
  if (vdso_page == vdso_sysenter)
    wrmsr(MSR_SYSENTER_ESP, (uint32_t)(p->kstack + PGSIZE));
/* END SOLUTION */
/* STUDENT lab6: write the top of p's kernel stack to SYSENTER_ESP (when the vDSO uses SYSENTER) */
}

// The C side of SYSENTER: tf is the frame sysenter_entry built. The vDSO
// left the caller's ECX and EDX on the user stack, above the EBP it saved
// (at tf->ebp, the user ESP): fetch them, after checking that the process may
// hand over those 12 bytes, and the rest is an ordinary system call.
void
sysenter_syscall(struct trapframe *tf)
{
/* BEGIN SOLUTION lab6 */
  if (!user_range_ok(tf->ebp, 12, 0)) {
    tf->eax = -EFAULT;
    return;
  }
  const uint32_t *saved = (const uint32_t *)tf->ebp;
  tf->edx = saved[1];
  tf->ecx = saved[2];
  syscall(tf);
/* END SOLUTION */
/* STUDENT lab6: check that [tf->ebp, tf->ebp + 12) is the process's to hand over (user_range_ok), else -EFAULT; take EDX and ECX from the words at tf->ebp + 4 and + 8; then syscall(tf) */
}
