/*
 * The kernel's first instructions. A Multiboot loader (the lab PC, QEMU -kernel,
 * GRUB) finds the header below, loads the ELF segments, and jumps to _start in
 * 32-bit protected mode with paging and interrupts off, flat segments of its
 * own choosing, EAX = 0x2BADB002 and EBX = the physical address of the
 * multiboot_info structure. There is no usable stack yet: we set one up before
 * calling C.
 */
#include "multiboot.h"
#include "param.h"

/* Header flags: bit 0 = align modules on 4 KiB pages, bit 1 = give us memory information. */
#define MB_HEADER_FLAGS    (MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMORY_INFO)

        /* The loader looks for the header in the first 8 KiB of the file,
         * 4-byte aligned; kernel.ld puts this section first. */
        .section .multiboot, "a"
        .balign 4
        .long   MB_HEADER_MAGIC
        .long   MB_HEADER_FLAGS
        .long   -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)   /* the three words sum to 0 */

        .text
        .globl  _start
_start:
        /* The stack grows down, so start at the top of the reserved area. */
        movl    $stack_top, %esp
        xorl    %ebp, %ebp              /* a zero frame pointer ends backtraces */

        /* kmain(magic, info): cdecl pushes arguments right to left. */
/* BEGIN SOLUTION lab1 */
        pushl   %ebx
        pushl   %eax
/* END SOLUTION */
/* STUDENT lab1: pass the loader's EAX (magic) and EBX (multiboot_info address) to kmain as its two arguments */
        call    kmain

        /* kmain does not return; if it does, stop this CPU for good. */
1:      cli
        hlt
        jmp     1b

        .bss
        .balign 16
        .space  KSTACKSIZE
        .globl  stack_top
stack_top:

        /* The stack is not executable (without this note ld warns that it is). */
        .section .note.GNU-stack, "", @progbits
