// Reading what the Multiboot loader tells us: the command line, the physical
// memory map and the modules. Until lab 4, paging is off or maps memory to
// itself, so each physical address in the boot information can be used
// directly as a pointer; lab 4's kernel reaches it through the direct map.

#include "kprintf.h"
#include "memlayout.h"
#include "multiboot.h"

struct multiboot_info *bootinfo;

static const char *
cstring(uint32_t addr)
{
  return (const char *)addr;
}

// Check that a Multiboot loader started us, and keep the boot information.
void
multiboot_init(uint32_t magic, struct multiboot_info *info)
{
/* BEGIN SOLUTION lab1 */
  // Without the magic value, EBX is whatever the previous code left there and
  // nothing it points to can be trusted.
  if (magic != MB_BOOTLOADER_MAGIC)
    panic("not booted by a Multiboot loader: magic %p, expected %p", (void *)magic, (void *)MB_BOOTLOADER_MAGIC);
/* END SOLUTION */
/* STUDENT lab1: panic unless magic is the Multiboot bootloader magic */
/* BEGIN SOLUTION lab4 */
  // The loader's addresses are physical, and only the direct map reaches
  // physical memory now. Make the ones the kernel follows virtual, once, here;
  // a module's start and end stay physical: they say where its frames are.
  bootinfo = P2V(info);
  if (bootinfo->flags & MB_INFO_CMDLINE)
    bootinfo->cmdline = (uint32_t)P2V(bootinfo->cmdline);
  if (bootinfo->flags & MB_INFO_MMAP)
    bootinfo->mmap_addr = (uint32_t)P2V(bootinfo->mmap_addr);
  if (bootinfo->flags & MB_INFO_MODS) {
    bootinfo->mods_addr = (uint32_t)P2V(bootinfo->mods_addr);
    struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
    for (uint32_t i = 0; i < bootinfo->mods_count; i++)
      mods[i].cmdline = (uint32_t)P2V(mods[i].cmdline);
  }
/* BEFORE lab4 */
  bootinfo = info;
/* END SOLUTION */
/* STUDENT lab4: info and the addresses in it are physical: keep P2V(info) in bootinfo, and make its cmdline, mmap_addr, mods_addr and each module's cmdline virtual (P2V) */
  kprintf("multiboot: magic %p flags %p\n", (void *)magic, (void *)bootinfo->flags);
  if (bootinfo->flags & MB_INFO_CMDLINE)
    kprintf("cmdline: \"%s\"\n", cstring(bootinfo->cmdline));
}

// One line per region of the memory map, then the total of usable RAM.
void
print_memory_map(void)
{
/* BEGIN SOLUTION lab1 */
  if ((bootinfo->flags & MB_INFO_MMAP) == 0)
    panic("the loader gave no memory map (multiboot flags %p)", (void *)bootinfo->flags);

  uint64_t usable = 0;
  uint32_t end = bootinfo->mmap_addr + bootinfo->mmap_length;
  for (uint32_t at = bootinfo->mmap_addr; at < end; ) {
    struct multiboot_mmap_entry *e = (struct multiboot_mmap_entry *)at;
    // A 32-bit kernel without PAE reaches only the first 4 GiB; a region above
    // that (QEMU reports one when given more than ~3.5 GiB) is no use to us.
    if ((e->base >> 32) == 0) {
      kprintf("mmap: base %p length %p type %u\n", (void *)(uint32_t)e->base, (void *)(uint32_t)e->length, e->type);
      if (e->type == MB_MEMORY_AVAILABLE)
        usable += e->length;
    }
    at += e->size + sizeof(e->size);   // size does not count itself
  }
  // 64-bit division would need libgcc; a shift is a single instruction pair.
  kprintf("memory: %u KiB usable\n", (uint32_t)(usable >> 10));
/* END SOLUTION */
/* STUDENT lab1: walk the memory map (mmap_addr, mmap_length; each entry is size + 4 bytes long), print each region, then the usable total in KiB */
}

// One line per module: where the loader put it and its command line.
void
print_modules(void)
{
/* BEGIN SOLUTION lab1 */
  if ((bootinfo->flags & MB_INFO_MODS) == 0) {
    kprintf("modules: 0\n");
    return;
  }
  struct multiboot_module *mods = (struct multiboot_module *)bootinfo->mods_addr;
  kprintf("modules: %u\n", bootinfo->mods_count);
  for (uint32_t i = 0; i < bootinfo->mods_count; i++) {
    kprintf("module %u: start %p end %p cmdline \"%s\"\n", i,
            (void *)mods[i].mod_start, (void *)mods[i].mod_end, cstring(mods[i].cmdline));
  }
/* END SOLUTION */
/* STUDENT lab1: print the module count, then each module's start, end and command line */
}
