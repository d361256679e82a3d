// Lab 6: system calls through SYSENTER and the vDSO (fastcall.c, sysenter.S).
#ifndef FASTCALL_H
#define FASTCALL_H

#include "types.h"

#define MSR_SYSENTER_CS   0x174   // the kernel's code selector; SS is it + 8
#define MSR_SYSENTER_ESP  0x175   // the kernel stack SYSENTER switches to
#define MSR_SYSENTER_EIP  0x176   // where SYSENTER enters the kernel

struct proc;
struct trapframe;

void fastcall_init(void);
int map_vdso(uint32_t *pgdir);
void fastcall_switch(struct proc *p);
void sysenter_syscall(struct trapframe *tf);

#endif
