// The x86's memory-management structures as the CPU reads them (Intel SDM
// volume 3, chapters 3 and 7): segment selectors, segment descriptors and the
// task-state segment. Paging's entries are in vm.h (lab 3).
#ifndef MMU_H
#define MMU_H

#include "types.h"

// GDT slots. The order is not arbitrary: SYSENTER and SYSEXIT (lab 6) require
// kernel code, kernel data, user code and user data in four consecutive slots.
#define SEG_NULL    0   // the CPU never uses slot 0: a null selector means "no segment"
#define SEG_KCODE   1   // kernel code, ring 0
#define SEG_KDATA   2   // kernel data and stack, ring 0
#define SEG_UCODE   3   // user code, ring 3
#define SEG_UDATA   4   // user data and stack, ring 3
#define SEG_TSS     5   // the task-state segment
#define NSEGS       6

// A selector is the slot number times 8 (bits 3-15), a table bit (bit 2: GDT
// = 0) and the requested privilege level (RPL, bits 0-1).
#define DPL_KERNEL  0
#define DPL_USER    3
#define SEL(slot, rpl)  (((slot) << 3) | (rpl))
#define KCODE_SEL   SEL(SEG_KCODE, DPL_KERNEL)   // 0x08
#define KDATA_SEL   SEL(SEG_KDATA, DPL_KERNEL)   // 0x10
#define UCODE_SEL   SEL(SEG_UCODE, DPL_USER)     // 0x1B
#define UDATA_SEL   SEL(SEG_UDATA, DPL_USER)     // 0x23
#define TSS_SEL     SEL(SEG_TSS, DPL_KERNEL)     // 0x28

// Segment types (the low four bits of the access byte). For code and data
// segments (S = 1) bit 0 is "accessed", set by the CPU when it loads the
// descriptor into a segment register.
#define STA_X       0x8     // executable: a code segment
#define STA_W       0x2     // data: writable
#define STA_R       0x2     // code: readable
#define STS_T32A    0x9     // system segment (S = 0): available 32-bit TSS

// A segment descriptor: 8 bytes, with base and limit scattered over it for
// compatibility with the 80286.
struct segdesc {
  uint16_t limit_lo;        // limit bits 0-15
  uint16_t base_lo;         // base bits 0-15
  uint8_t  base_mid;        // base bits 16-23
  uint8_t  access;          // P (7), DPL (6-5), S (4), type (3-0)
  uint8_t  limit_hi_flags;  // G (7), D/B (6), L (5), AVL (4), limit bits 16-19 (3-0)
  uint8_t  base_hi;         // base bits 24-31
} __attribute__((packed));

#define SEG_ACCESS_P    0x80    // present
#define SEG_ACCESS_S    0x10    // code or data (clear: a system segment)
#define SEG_FLAG_G      0x80    // limit counts 4 KiB pages, not bytes
#define SEG_FLAG_DB     0x40    // 32-bit code / 32-bit stack

// The task-state segment. In this kernel the CPU reads only esp0 and ss0 from
// it: the stack to switch to when an interrupt or system call arrives while
// ring 3 runs (lab 3), and iomb, where the I/O permission bitmap starts.
struct tss {
  uint32_t link;            // previous task (hardware task switching; unused)
  uint32_t esp0;            // ring-0 stack pointer
  uint16_t ss0, pad0;       // ring-0 stack segment
  uint32_t esp1;
  uint16_t ss1, pad1;
  uint32_t esp2;
  uint16_t ss2, pad2;
  uint32_t cr3;
  uint32_t eip, eflags;
  uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint16_t es, pad3, cs, pad4, ss, pad5, ds, pad6, fs, pad7, gs, pad8;
  uint16_t ldt, pad9;
  uint16_t trap;            // bit 0: debug trap on task switch
  uint16_t iomb;            // offset of the I/O permission bitmap from the TSS base
};

#endif
