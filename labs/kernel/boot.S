/*
 * The kernel's first instructions. A Multiboot loader (the lab PC, QEMU -kernel,
 * GRUB) finds the header below, loads the ELF segments, and jumps to _start in
 * 32-bit protected mode with paging and interrupts off, flat segments of its
 * own choosing, EAX = 0x2BADB002 and EBX = the physical address of the
 * multiboot_info structure. There is no usable stack yet: we set one up before
 * calling C.
 */
#include "memlayout.h"
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
/* BEGIN SOLUTION lab4 */
        /* The loader jumps to the ELF entry point with paging off, so the
         * entry point is entry's physical address (ENTRY(_start) in kernel.ld);
         * everything else is linked at its address in the top gigabyte. */
        .globl  _start
        _start = V2P_WO(entry)
entry:
        /* Paging on with boot_pgdir: CR4.PSE (0x10) for its 4 MiB pages,
         * CR0.PG (bit 31) and CR0.WP (bit 16, read-only pages are read-only
         * for ring 0 too). EAX and EBX hold the loader's values: use ECX. */
        movl    %cr4, %ecx
        orl     $0x00000010, %ecx
        movl    %ecx, %cr4
        movl    $V2P_WO(boot_pgdir), %ecx
        movl    %ecx, %cr3
        movl    %cr0, %ecx
        orl     $0x80010000, %ecx
        movl    %ecx, %cr0

        /* EIP is still the low address, mapped by boot_pgdir's entry 0; an
         * indirect jump (a relative one would stay low) moves to the link address. */
        movl    $high, %ecx
        jmp     *%ecx
high:
        /* From here on nothing uses a low address: drop the identity entry
         * and reload CR3 so that the TLB forgets it too. */
        movl    $0, boot_pgdir
        movl    %cr3, %ecx
        movl    %ecx, %cr3

        /* The stack grows down, so start at the top of the reserved area. */
        movl    $stack_top, %esp
/* BEFORE lab4 */
        .globl  _start
_start:
        /* The stack grows down, so start at the top of the reserved area. */
        movl    $stack_top, %esp
/* END SOLUTION */
/* STUDENT lab4: make _start the physical address of the entry code, turn paging on with a boot page directory that maps physical 0-4 MiB both at 0 and at KERNBASE (4 MiB pages, CR4.PSE), jump to the linked (high) address, then remove the identity entry and reload CR3 before setting up the stack */
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

/* BEGIN SOLUTION lab4 */
        /* The boot page directory: two 4 MiB pages (P, W, PS: 0x83), both of
         * physical 0-4 MiB, at 0 (so the instructions right after CR0.PG still
         * run) and at KERNBASE (where the kernel is linked). vm.c replaces it
         * with the kernel's own page tables. */
        .data
        .p2align 12
        .globl  boot_pgdir
boot_pgdir:
        .long   0x00000083
        .fill   (KERNBASE >> 22) - 1, 4, 0
        .long   0x00000083
        .fill   1023 - (KERNBASE >> 22), 4, 0
/* END SOLUTION */
/* STUDENT lab4: the boot page directory (page-aligned, 1024 entries) that _start loads */

        /* The stack is not executable (without this note ld warns that it is). */
        .section .note.GNU-stack, "", @progbits
