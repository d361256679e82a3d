// Multiboot v1 (Multiboot Specification 0.6.96): the header a kernel carries
// so a loader will boot it (section 3.1), and the information the loader
// leaves for the kernel (section 3.3). Included from boot.S too, so the C
// part is hidden from the assembler.
#ifndef MULTIBOOT_H
#define MULTIBOOT_H

// The header, in the kernel image.
#define MB_HEADER_MAGIC        0x1BADB002
#define MB_HEADER_PAGE_ALIGN   (1 << 0)   // load modules on 4 KiB boundaries
#define MB_HEADER_MEMORY_INFO  (1 << 1)   // provide mem_lower/upper and the memory map

// What the loader leaves in EAX: proof that a Multiboot loader started us and
// that EBX really points at a multiboot_info.
#define MB_BOOTLOADER_MAGIC    0x2BADB002

// multiboot_info.flags: which of the fields below the loader filled in.
#define MB_INFO_MEMORY         (1 << 0)   // mem_lower, mem_upper
#define MB_INFO_CMDLINE        (1 << 2)   // cmdline
#define MB_INFO_MODS           (1 << 3)   // mods_count, mods_addr
#define MB_INFO_MMAP           (1 << 6)   // mmap_length, mmap_addr
#define MB_INFO_LOADER_NAME    (1 << 9)   // boot_loader_name

// Memory map entry types.
#define MB_MEMORY_AVAILABLE    1          // RAM the kernel may use
#define MB_MEMORY_RESERVED     2          // anything else is off limits
#define MB_MEMORY_ACPI         3
#define MB_MEMORY_NVS          4
#define MB_MEMORY_BADRAM       5

#ifndef __ASSEMBLER__
#include "types.h"

// Every address in these structures is physical. Paging is off in lab 1, so
// physical address = linear address, and a pointer can be made from one.
struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower;          // KiB of RAM from 0 (at most 640)
  uint32_t mem_upper;          // KiB of RAM from 1 MiB up to the first hole
  uint32_t boot_device;
  uint32_t cmdline;            // the kernel command line, a C string
  uint32_t mods_count;
  uint32_t mods_addr;          // an array of mods_count struct multiboot_module
  uint32_t syms[4];            // a.out or ELF symbol information; unused
  uint32_t mmap_length;        // size of the memory map in bytes
  uint32_t mmap_addr;          // the first struct multiboot_mmap_entry
  uint32_t drives_length;
  uint32_t drives_addr;
  uint32_t config_table;
  uint32_t boot_loader_name;   // a C string
  uint32_t apm_table;
  // VBE and framebuffer fields follow; we do not use them.
};

// One region of the physical address space. Entries can have different sizes:
// `size` counts the bytes of the entry after the size field itself, so the
// next entry starts at (char *)entry + entry->size + 4. The 64-bit fields sit
// at offset 4 and are therefore not naturally aligned: hence "packed".
struct multiboot_mmap_entry {
  uint32_t size;
  uint64_t base;
  uint64_t length;
  uint32_t type;               // MB_MEMORY_*
} __attribute__((packed));

// A module: a file the loader put in memory next to the kernel (in this course,
// a user program). mod_end is one past its last byte.
struct multiboot_module {
  uint32_t mod_start;
  uint32_t mod_end;
  uint32_t cmdline;            // the module's command line, a C string
  uint32_t reserved;
};

// The boot information, for code that runs after kmain has checked it.
extern struct multiboot_info *bootinfo;

void multiboot_init(uint32_t magic, struct multiboot_info *info);
void print_memory_map(void);
void print_modules(void);

#endif // __ASSEMBLER__
#endif
