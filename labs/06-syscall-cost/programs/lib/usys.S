/*
 * Lab 6's system-call stubs: lab 3's, with every system call a call to the
 * vDSO, which the kernel maps at VDSO_BASE in every process and fills with
 * whichever entry it chose (SYSENTER, or INT $0x80). The registers and the
 * result are as for INT $0x80.
 */
#include "../../../kernel/memlayout.h"

#define SYSCALL_INSN call VDSO_BASE
#include "../../../03-usermode/programs/lib/usys.S"
