/*
 * The user side of the system-call interface (kernel/syscall.h): the number
 * goes in EAX, the arguments in EBX, ECX and EDX, and INT $0x80 enters the
 * kernel through the one IDT gate ring 3 may use. The result comes back in EAX.
 * EBX is callee-saved in the C calling convention, so it is restored.
 */
#include "../../../kernel/syscall.h"

/* How a system call enters the kernel. Lab 6's programs define it as a call
 * to the vDSO before including this file (lab 6's programs/lib/usys.S). */
#ifndef SYSCALL_INSN
#define SYSCALL_INSN int $0x80
#endif

        .text
/* A C function name(...) that makes system call `number` with nargs
 * arguments. It reads only the arguments there are: exit's caller, _start,
 * has nothing on the stack above them. */
        .macro  syscall name, number, nargs
        .globl  \name
\name:
        pushl   %ebx
        movl    $\number, %eax
        .if \nargs >= 1
        movl    8(%esp), %ebx
        .endif
        .if \nargs >= 2
        movl    12(%esp), %ecx
        .endif
        .if \nargs >= 3
        movl    16(%esp), %edx
        .endif
        SYSCALL_INSN
        popl    %ebx
        ret
        .endm

        syscall exit, SYS_exit, 1
        syscall write, SYS_write, 3
        syscall getpid, SYS_getpid, 0
        syscall yield, SYS_yield, 0

/* syscall3(number, a, b, c) */
        .globl  syscall3
syscall3:
        pushl   %ebx
        movl    8(%esp), %eax
        movl    12(%esp), %ebx
        movl    16(%esp), %ecx
        movl    20(%esp), %edx
        SYSCALL_INSN
        popl    %ebx
        ret

/* Where a process starts: the kernel set ESP to the top of its stack page. */
        .section .text.start, "ax"
        .globl  _start
_start:
        xorl    %ebp, %ebp              /* ends backtraces */
        call    main
        pushl   %eax                    /* main's return value is the exit code */
        call    exit
1:      jmp     1b                      /* exit does not return */

        .section .note.GNU-stack, "", @progbits
