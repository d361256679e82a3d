/*
 * A kernel that exits as soon as it is entered. Timing it under QEMU gives
 * QEMU's own start-up and shutdown (process, firmware, Multiboot loading),
 * which the benchmarks subtract to see the time QEMU spent on the work.
 */
#include "runtime.h"

void kmain(uint32_t magic, void *mbi)
{
    (void)magic;
    (void)mbi;
    exit_qemu(0);
}
