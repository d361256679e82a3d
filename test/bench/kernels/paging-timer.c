/*
 * The CPU-bound work of workload.c under the conditions a lab kernel runs
 * in from lab 4 on: paging on (identity-mapped with 4 KiB pages, so every
 * access goes through the TLB), and the PIT interrupting 1000 times a second
 * through a remapped PIC into a C handler that counts ticks and sends EOI.
 *
 * It prints the same checksum line as cpu-bound.c (the timer must not change
 * the work's result) and then the tick count, which differs between our
 * engine (virtual time) and QEMU (host time) and is only a sign of life.
 */
#include "runtime.h"

uint32_t run_workload(void);

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20
#define IRQ_BASE 0x20 /* IRQ 0-15 at vectors 32-47, clear of the CPU's exceptions */

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
#define TIMER_HZ 1000u

#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define PTE_P 0x001u
#define PTE_W 0x002u

/* Enough 4 KiB-page tables to cover the kernel image, its .bss and the stack. */
#define MAPPED_TABLES 4
#define MAPPED_BYTES (MAPPED_TABLES * 1024u * 4096u)

extern char __bss_end[];

/* ---- segments: our own GDT, so the IDT's selector is one we chose --------- */

static const uint64_t gdt[3] = {
    0,
    0x00cf9a000000ffffull, /* 0x08: code, base 0, limit 4 GiB, DPL 0 */
    0x00cf92000000ffffull, /* 0x10: data, base 0, limit 4 GiB, DPL 0 */
};

struct __attribute__((packed)) table_register {
    uint16_t limit;
    uint32_t base;
};

static void load_gdt(void)
{
    struct table_register gdtr = {sizeof gdt - 1, (uint32_t)gdt};
    /* A far jump is the only way to reload CS; the data registers follow. */
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp %1, $1f\n"
                     "1:\n\t"
                     "mov %2, %%ax\n\t"
                     "mov %%ax, %%ds\n\t"
                     "mov %%ax, %%es\n\t"
                     "mov %%ax, %%fs\n\t"
                     "mov %%ax, %%gs\n\t"
                     "mov %%ax, %%ss"
                     :
                     : "m"(gdtr), "i"(KERNEL_CS), "i"(KERNEL_DS)
                     : "eax", "memory");
}

/* ---- interrupts ------------------------------------------------------------- */

struct __attribute__((packed)) gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t zero;
    uint8_t type; /* P=1, DPL=0, 32-bit interrupt gate: IF is cleared on entry */
    uint16_t offset_high;
};

static struct gate idt[256];
static volatile uint32_t ticks;

void timer_irq(void);
void unexpected_fault(void);
void irq0_entry(void);
void fault_entry(void);
void ignored_irq_entry(void);

/*
 * The entry stubs: save what C may clobber, call C, return with IRET. The
 * masked IRQs (and a spurious IRQ 7) land on one that only returns: a
 * spurious interrupt must not be acknowledged with EOI.
 */
__asm__(".text\n"
        ".globl irq0_entry\n"
        "irq0_entry:\n\t"
        "pushal\n\t"
        "cld\n\t"
        "call timer_irq\n\t"
        "popal\n\t"
        "iret\n"
        ".globl fault_entry\n"
        "fault_entry:\n\t"
        "cld\n\t"
        "call unexpected_fault\n"
        ".globl ignored_irq_entry\n"
        "ignored_irq_entry:\n\t"
        "iret\n");

void timer_irq(void)
{
    ticks++;
    outb(PIC1_CMD, PIC_EOI);
}

/* The benchmark must not fault; if it does, say so rather than loop. */
void unexpected_fault(void)
{
    uint32_t cr2;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    puts("unexpected exception, cr2=");
    print_hex32(cr2);
    putc('\n');
    exit_qemu(3);
}

static void set_gate(int vector, void (*handler)(void))
{
    uint32_t addr = (uint32_t)handler;
    idt[vector].offset_low = (uint16_t)addr;
    idt[vector].selector = KERNEL_CS;
    idt[vector].zero = 0;
    idt[vector].type = 0x8e;
    idt[vector].offset_high = (uint16_t)(addr >> 16);
}

static void load_idt(void)
{
    for (int v = 0; v < 32; v++)
        set_gate(v, fault_entry);
    for (int v = 32; v < 256; v++)
        set_gate(v, ignored_irq_entry);
    set_gate(IRQ_BASE + 0, irq0_entry);
    struct table_register idtr = {sizeof idt - 1, (uint32_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ICW1-ICW4 as the 8259A datasheet orders them, then unmask IRQ 0 alone. */
static void remap_pic(void)
{
    outb(PIC1_CMD, 0x11); /* ICW1: edge triggered, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, IRQ_BASE);     /* ICW2: vector base */
    outb(PIC2_DATA, IRQ_BASE + 8);
    outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, 0x02); /* ICW3: slave's cascade identity */
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xfe); /* OCW1: only the timer */
    outb(PIC2_DATA, 0xff);
}

/* Channel 0, low then high byte, mode 2 (rate generator): a periodic IRQ 0. */
static void start_pit(void)
{
    uint32_t divisor = (PIT_HZ + TIMER_HZ / 2) / TIMER_HZ;
    outb(PIT_CMD, 0x34);
    outb(PIT_CH0, (uint8_t)divisor);
    outb(PIT_CH0, (uint8_t)(divisor >> 8));
}

/* ---- paging: identity map of the low 16 MiB in 4 KiB pages ------------------ */

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[MAPPED_TABLES][1024] __attribute__((aligned(4096)));

static void enable_paging(void)
{
    for (uint32_t t = 0; t < MAPPED_TABLES; t++) {
        for (uint32_t i = 0; i < 1024; i++) {
            uint32_t addr = (t * 1024 + i) * 4096;
            page_tables[t][i] = addr | PTE_P | PTE_W;
        }
        page_directory[t] = (uint32_t)page_tables[t] | PTE_P | PTE_W;
    }
    /* Page 0 stays absent, as in most kernels, so a null pointer faults. */
    page_tables[0][0] = 0;

    __asm__ volatile("mov %0, %%cr3" : : "r"(page_directory) : "memory");
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0 | CR0_PG | CR0_WP) : "memory");
}

static void print_uint(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        putc(buf[--n]);
}

void kmain(uint32_t magic, void *mbi)
{
    (void)magic;
    (void)mbi;
    if ((uint32_t)__bss_end > MAPPED_BYTES) {
        puts("paging-timer: the kernel ends above the identity-mapped 16 MiB; map more tables\n");
        exit_qemu(2);
    }
    load_gdt();
    load_idt();
    remap_pic();
    enable_paging();
    start_pit();
    __asm__ volatile("sti");

    uint32_t sum = run_workload();

    __asm__ volatile("cli");
    puts("checksum ");
    print_hex32(sum);
    putc('\n');
    puts("ticks ");
    print_uint(ticks);
    putc('\n');
    exit_qemu(0);
}
