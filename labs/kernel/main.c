// kmain: where boot.S hands over to C. Each lab adds its step to the list.

#include "gdt.h"
#include "kprintf.h"
#include "multiboot.h"
#include "serial.h"
#include "x86.h"

void kmain(uint32_t magic, struct multiboot_info *info) __attribute__((noreturn));

// Lab 2's steps (trap.c, selftest.c). Weak, so that lab 1's kernel, built
// without those files, still links: there their addresses are 0.
void trap_init(void) __attribute__((weak));
void lab2_selftest(void) __attribute__((weak));
// Lab 3's step (proc.c, vm.c, syscall.c), weak for the same reason.
void run_user_programs(void) __attribute__((weak, noreturn));

void
kmain(uint32_t magic, struct multiboot_info *info)
{
  serial_init();                // the console first, so everything after can report
  kprintf("ringlab kernel: booting\n");

  multiboot_init(magic, info);  // check the magic, keep the boot information
  print_memory_map();
  print_modules();

  gdt_init();                   // our own segments, with user ones and a TSS
  kprintf("gdt: cs 0x%04x ds 0x%04x ss 0x%04x\n", read_cs(), read_ds(), read_ss());

  kprintf("lab1: ok\n");

  if (trap_init) {
    trap_init();                // the IDT, the PICs and the timer
    lab2_selftest();            // what the command line asks for: trap=, ticks=, int80
    kprintf("lab2: ok\n");
  }

  if (run_user_programs)
    run_user_programs();        // every module as a process in ring 3; ends the run itself

  serial_drain();
  debug_exit(0);                // ends the run: QEMU and the lab PC exit with status 1
  panic("debug exit did not stop the machine (QEMU needs -device isa-debug-exit,iobase=0xf4,iosize=1)");
}
