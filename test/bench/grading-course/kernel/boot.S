/*
 * The benchmark kernel's entry and its trap stubs. The Multiboot loader hands
 * over in EAX (magic) and EBX (info); kmain reads the command line from the
 * info block to decide which exercise to run.
 */
#define MB_MAGIC    0x1BADB002
#define MB_FLAGS    0
#define MB_CHECKSUM (-(MB_MAGIC + MB_FLAGS))

        .section .multiboot, "a"
        .balign 4
        .long   MB_MAGIC, MB_FLAGS, MB_CHECKSUM

        .text
        .globl  _start
_start:
        movl    $stack_top, %esp
        pushl   %ebx
        pushl   %eax
        call    kmain
1:      cli
        hlt
        jmp     1b

/*
 * One stub per CPU exception. The CPU pushes an error code for some vectors
 * only (8, 10-14, 17), so the others push a zero to give trap() one frame layout.
 */
        .macro trap_noerr n
        .globl trap\n
trap\n:  pushl   $0
        pushl   $\n
        jmp     trap_common
        .endm

        .macro trap_err n
        .globl trap\n
trap\n:  pushl   $\n
        jmp     trap_common
        .endm

        trap_noerr 0;  trap_noerr 1;  trap_noerr 2;  trap_noerr 3
        trap_noerr 4;  trap_noerr 5;  trap_noerr 6;  trap_noerr 7
        trap_err   8;  trap_noerr 9;  trap_err   10; trap_err   11
        trap_err   12; trap_err   13; trap_err   14; trap_noerr 15
        trap_noerr 16; trap_err   17; trap_noerr 18; trap_noerr 19

trap_common:
        pushal
        pushl   %esp            /* trap(struct frame *) */
        call    trap
        addl    $4, %esp
        popal
        addl    $8, %esp        /* vector and error code */
        iret

        .data
        .balign 4
        .globl  trap_stubs
trap_stubs:
        .long trap0, trap1, trap2, trap3, trap4, trap5, trap6, trap7, trap8, trap9
        .long trap10, trap11, trap12, trap13, trap14, trap15, trap16, trap17, trap18, trap19

        .bss
        .balign 16
        .space  0x4000
stack_top:

        .section .note.GNU-stack, "", @progbits
