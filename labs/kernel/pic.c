// The PC's two 8259A interrupt controllers. The master takes IRQ 0-7, the
// slave IRQ 8-15 and passes them on through the master's input 2. Each chip
// turns a request into one vector number, its base plus the input's number.
// After reset (and as a BIOS leaves them) the master's base is 0x08, which
// collides with the CPU's own exceptions: the timer would look like a double
// fault. So the first thing to do is move both chips past the exceptions.

#include "pic.h"
#include "traps.h"
#include "x86.h"

#define PIC1_CMD    0x20    // master: command (ICW1, OCW2, OCW3)
#define PIC1_DATA   0x21    // master: data (ICW2-4) and the mask register (OCW1)
#define PIC2_CMD    0xA0    // slave
#define PIC2_DATA   0xA1

#define ICW1_INIT   0x10    // start initialisation: the next writes to DATA are ICW2-4
#define ICW1_ICW4   0x01    // ICW4 will follow
#define ICW4_8086   0x01    // 8086 mode (vector numbers, not 8080 CALLs)
#define OCW2_EOI    0x20    // non-specific end of interrupt

#define IRQ_CASCADE 2       // the master's input that the slave is wired to

// The inputs the kernel listens to: bit n set masks IRQ n. Everything starts masked.
static uint16_t irqmask = 0xFFFF & ~(1 << IRQ_CASCADE);

static void
write_mask(void)
{
  outb(PIC1_DATA, irqmask & 0xFF);
  outb(PIC2_DATA, irqmask >> 8);
}

// Remap IRQ 0-15 to vectors T_IRQ0 to T_IRQ0 + 15, every input masked.
void
pic_init(void)
{
/* BEGIN SOLUTION lab2 */
  // ICW1: edge triggered, cascaded, ICW4 follows.
  outb(PIC1_CMD, ICW1_INIT | ICW1_ICW4);
  outb(PIC2_CMD, ICW1_INIT | ICW1_ICW4);
  // ICW2: the vector of input 0.
  outb(PIC1_DATA, T_IRQ0);
  outb(PIC2_DATA, T_IRQ0 + 8);
  // ICW3: the master has a slave on input 2 (a bit mask); the slave's id is 2.
  outb(PIC1_DATA, 1 << IRQ_CASCADE);
  outb(PIC2_DATA, IRQ_CASCADE);
  // ICW4: 8086 mode, normal (not automatic) end of interrupt.
  outb(PIC1_DATA, ICW4_8086);
  outb(PIC2_DATA, ICW4_8086);
/* END SOLUTION */
/* STUDENT lab2: send ICW1 to both chips (initialise, ICW4 follows), ICW2 (the master's base T_IRQ0, the slave's T_IRQ0 + 8), ICW3 (master: a slave on input 2; slave: id 2) and ICW4 (8086 mode) */
  write_mask();
}

// Let IRQ `irq` through.
void
pic_unmask(int irq)
{
  irqmask &= ~(1 << irq);
  write_mask();
}

// Tell the PICs the handler of IRQ `irq` is done. Until then the chip holds
// the input in service and delivers nothing of the same or lower priority:
// forget this and the first timer tick is the last.
void
pic_eoi(int irq)
{
/* BEGIN SOLUTION lab2 */
  // An IRQ from the slave went through two chips, and both need their EOI.
  if (irq >= 8)
    outb(PIC2_CMD, OCW2_EOI);
  outb(PIC1_CMD, OCW2_EOI);
/* END SOLUTION */
/* STUDENT lab2: send a non-specific EOI (OCW2 0x20) to the master, and first to the slave too when irq >= 8 */
}
