// The parts of an ELF32 executable a loader reads (System V ABI, Intel386
// supplement): the file header, which says where the program headers are and
// where execution starts, and the program headers, each of which asks for a
// range of the file to be placed at a virtual address.
#ifndef ELF_H
#define ELF_H

#include "types.h"

#define ELF_MAGIC   0x464C457F      // "\x7FELF", read as a little-endian word
#define ELFCLASS32  1
#define ELFDATA2LSB 1               // little-endian
#define ET_EXEC     2               // an executable (not relocatable, not shared)
#define EM_386      3

struct elfhdr {
  uint32_t magic;
  uint8_t  class;                   // e_ident[4]
  uint8_t  data;                    // e_ident[5]
  uint8_t  ident_rest[10];
  uint16_t type;
  uint16_t machine;
  uint32_t version;
  uint32_t entry;                   // where execution starts
  uint32_t phoff;                   // file offset of the program headers
  uint32_t shoff;
  uint32_t flags;
  uint16_t ehsize;
  uint16_t phentsize;               // size of one program header (32)
  uint16_t phnum;                   // how many there are
  uint16_t shentsize;
  uint16_t shnum;
  uint16_t shstrndx;
};

#define PT_LOAD     1               // a segment to place in memory
#define PF_X        1
#define PF_W        2               // the segment is writable
#define PF_R        4

struct proghdr {
  uint32_t type;
  uint32_t offset;                  // where the segment's bytes start in the file
  uint32_t vaddr;                   // where they go in memory
  uint32_t paddr;
  uint32_t filesz;                  // bytes taken from the file
  uint32_t memsz;                   // bytes in memory; the rest (.bss) is zero
  uint32_t flags;                   // PF_*
  uint32_t align;
};

#endif
