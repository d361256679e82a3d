/*
 * The plain CPU-bound benchmark: paging off, interrupts off, nothing but the
 * work in workload.c. Its checksum line is what the benchmark compares with
 * QEMU's, and its MIPS is the baseline the paging+timer kernel is held to.
 */
#include "runtime.h"

uint32_t run_workload(void);

void kmain(uint32_t magic, void *mbi)
{
    (void)magic;
    (void)mbi;
    uint32_t sum = run_workload();
    puts("checksum ");
    print_hex32(sum);
    putc('\n');
    exit_qemu(0);
}
