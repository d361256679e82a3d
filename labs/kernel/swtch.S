/*
 * swtch(struct context **old, struct context *new) (lab 5): the switch from
 * one kernel thread to another. Each process runs in the kernel on its own
 * stack; what distinguishes one kernel thread from another is that stack and
 * the registers the C calling convention says a call preserves (EBX, ESI,
 * EDI, EBP; EAX, ECX and EDX are the caller's to save). swtch pushes those
 * on the old stack, saves the old ESP in *old, loads ESP from new and pops
 * the new thread's. Its RET then returns into whatever call of swtch the new
 * thread made, or, for a process that never ran, to forkret (proc.c).
 * EIP needs no saving: the CALL that entered swtch pushed it, and struct
 * context (proc.h) describes exactly this stack.
 */
        .text
        .globl  swtch
swtch:
/* BEGIN SOLUTION lab5 */
        movl    4(%esp), %eax           /* old */
        movl    8(%esp), %edx           /* new */

        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi

        movl    %esp, (%eax)
        movl    %edx, %esp

        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret
/* END SOLUTION */
/* STUDENT lab5: push the callee-saved registers (EBP, EBX, ESI, EDI) on the current stack, store ESP in *old, load ESP from new, pop the new thread's registers in the reverse order and return */

        /* The stack is not executable (without this note ld warns that it is). */
        .section .note.GNU-stack, "", @progbits
