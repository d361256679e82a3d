/*
 * The first instructions of every interrupt and exception. The CPU enters a
 * gate with EFLAGS, CS and EIP pushed (and, for vectors 8, 10-14 and 17, an
 * error code after them), and nothing says which vector it took: each vector
 * therefore gets its own small stub that records its number. All stubs then
 * share alltraps, which saves the rest of the registers so that the stack
 * holds a struct trapframe (traps.h), and calls trap(tf) in C.
 */
#include "traps.h"

        .altmacro

/* One entry stub, vector\n, and its address in the table vectors[\n]. */
        .macro  stub n
        .text
        .globl  vector\n
vector\n:
/* BEGIN SOLUTION lab2 */
        /* Where the CPU pushes no error code, push a 0 so every frame has the same layout. */
        .if !(\n == T_DBLFLT || (\n >= T_TSS && \n <= T_PGFLT) || \n == T_ALIGN)
        pushl   $0
        .endif
        pushl   $\n
        jmp     alltraps
/* END SOLUTION */
/* STUDENT lab2: push a 0 in place of the error code for the vectors where the CPU pushes none (all but 8, 10-14 and 17), then push the vector number, then jump to alltraps */
        .section .rodata
        .long   vector\n
        .endm

        /* vectors[]: the stubs' addresses, in vector order, for trap_init. */
        .section .rodata
        .balign 4
        .globl  vectors
vectors:
        .set    i, 0
        .rept   256
        stub    %i
        .set    i, i + 1
        .endr

        .text
/* The code shared by all vectors: complete the trap frame, call trap(tf), undo it all. */
        .globl  alltraps
alltraps:
/* BEGIN SOLUTION lab2 */
        pushl   %ds
        pushl   %es
        pushl   %fs
        pushl   %gs
        pushal

        /* The kernel's data segments: in lab 3 the interrupted code may have had ring 3's. */
        movw    $0x10, %ax              /* KDATA_SEL, mmu.h: kernel data */
        movw    %ax, %ds
        movw    %ax, %es

        /* trap(tf): tf is where the frame starts, the current stack pointer. */
        pushl   %esp
        call    trap
        addl    $4, %esp
/* END SOLUTION */
/* STUDENT lab2: push DS, ES, FS, GS and the general registers (PUSHAL) to complete the struct trapframe, load the kernel data selector into DS and ES, call trap with a pointer to the frame, then fall through to trapret */

        /* Return to the interrupted code: restore what alltraps saved, drop the
         * vector number and error code, and let IRET pop EIP, CS and EFLAGS. */
        .globl  trapret
trapret:
/* BEGIN SOLUTION lab2 */
        popal
        popl    %gs
        popl    %fs
        popl    %es
        popl    %ds
        addl    $8, %esp
        iret
/* END SOLUTION */
/* STUDENT lab2: pop what alltraps pushed, in reverse order, skip the vector number and the error code, and return with IRET */

        .section .note.GNU-stack, "", @progbits
