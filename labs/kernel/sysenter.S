/*
 * Lab 6: the fast system-call path. SYSENTER (SDM Vol. 2B, "SYSENTER")
 * enters ring 0 without reading the IDT, a gate or the TSS: CS and SS come
 * from IA32_SYSENTER_CS (SS = CS + 8), ESP from IA32_SYSENTER_ESP and EIP
 * from IA32_SYSENTER_EIP, and it saves nothing, not even where it came from.
 * So the user side saves what the kernel needs to come back (the vDSO's
 * stub below keeps ECX, EDX and EBP on the user stack and puts ESP in EBP),
 * and the kernel side builds the trap frame INT $0x80 would have pushed, so
 * that syscall(), scheduling and fork see no difference. SYSEXIT returns to
 * ring 3 at EDX with ESP = ECX (CS = SYSENTER_CS + 16, SS = + 24, RPL 3).
 */
#include "memlayout.h"
#include "traps.h"

/* mmu.h's selectors; mmu.h itself is C. */
#define KDATA_SEL   0x10
#define UCODE_SEL   0x1B
#define UDATA_SEL   0x23

/* Where SYSEXIT lands: the instruction after SYSENTER in the vDSO, at its user address. */
#define VDSO_SYSEXIT_RET  (VDSO_BASE + (vdso_sysexit_ret - vdso_sysenter))

        .text
        .globl  sysenter_entry
sysenter_entry:
/* BEGIN SOLUTION lab6 */
        /* The frame of an INT $0x80 from ring 3: SS, ESP, EFLAGS (IF set:
         * SYSENTER cleared it, and the process runs with it set), CS, EIP. */
        pushl   $UDATA_SEL
        pushl   %ebp
        pushfl
        orl     $0x200, (%esp)
        pushl   $UCODE_SEL
        pushl   $VDSO_SYSEXIT_RET
        pushl   $0                      /* error code */
        pushl   $T_SYSCALL

        pushl   %ds
        pushl   %es
        pushl   %fs
        pushl   %gs
        pushal
        movw    $KDATA_SEL, %ax
        movw    %ax, %ds
        movw    %ax, %es

        pushl   %esp
        call    sysenter_syscall
        addl    $4, %esp

        /* Back the way it came: the registers from the frame, then SYSEXIT
         * with the frame's EIP in EDX and ESP in ECX. STI's one-instruction
         * delay keeps an interrupt from arriving before SYSEXIT has left. */
        popal
        popl    %gs
        popl    %fs
        popl    %es
        popl    %ds
        addl    $8, %esp                /* trap number and error code */
        movl    0(%esp), %edx           /* EIP */
        movl    12(%esp), %ecx          /* ESP */
        sti
        sysexit
/* END SOLUTION */
/* STUDENT lab6: build the trap frame INT $0x80 pushes (user SS, the user ESP the vDSO left in EBP, EFLAGS with IF set, user CS, the vDSO's return address, error code 0, T_SYSCALL), save the rest as alltraps does, call sysenter_syscall(tf), then restore and return with STI; SYSEXIT (EDX = EIP, ECX = ESP) */

/*
 * The vDSO: one page of code the kernel maps read-only at VDSO_BASE in every
 * process. A program calls VDSO_BASE with the system call in EAX and its
 * arguments in EBX, ECX and EDX, as for INT $0x80, and gets the result in
 * EAX; every other register survives. Its own page, so the kernel can map
 * it alone; position-independent, since it runs at VDSO_BASE.
 */
        .section .text.vdso, "ax"
        .balign 4096
        .globl  vdso_sysenter
vdso_sysenter:
/* BEGIN SOLUTION lab6 */
        pushl   %ecx
        pushl   %edx
        pushl   %ebp
        movl    %esp, %ebp
        sysenter
        .globl  vdso_sysexit_ret
vdso_sysexit_ret:
        popl    %ebp
        popl    %edx
        popl    %ecx
        ret
/* END SOLUTION */
/* STUDENT lab6: the user side of SYSENTER: push ECX, EDX and EBP, put ESP in EBP (the kernel finds the saved ECX and EDX above it), SYSENTER; then, where SYSEXIT lands (vdso_sysexit_ret), pop them back in reverse order and return */
        .balign 4096

/* The same page for a kernel that chooses INT $0x80 (vdso=int80 on the command line). */
        .globl  vdso_int80
vdso_int80:
        int     $0x80
        ret
        .balign 4096

        /* The stack is not executable (without this note ld warns that it is). */
        .section .note.GNU-stack, "", @progbits
