// The global descriptor table: the segments this kernel and its user programs run in.
#ifndef GDT_H
#define GDT_H

#include "mmu.h"

extern struct segdesc gdt[NSEGS];
extern struct tss tss;

void gdt_init(void);

#endif
