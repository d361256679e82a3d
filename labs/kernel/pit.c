// The 8254 timer. Its input clock runs at 1.193182 MHz; channel 0 divides it
// by a 16-bit count and its output is wired to IRQ 0. In mode 2 (rate
// generator) the output pulses once every `count` input clocks, so a count of
// 1193182 / HZ makes HZ interrupts a second.

#include "pic.h"
#include "pit.h"
#include "traps.h"
#include "x86.h"

#define PIT_CH0     0x40    // channel 0's counter
#define PIT_CMD     0x43    // the mode/command register
#define PIT_FREQ    1193182

// Command byte: channel 0 (bits 7-6 = 00), low byte then high byte (5-4 = 11),
// mode 2 (3-1 = 010), binary counting (0 = 0).
#define PIT_SEL0    0x00
#define PIT_LOHI    0x30
#define PIT_MODE2   0x04

// Timer interrupts since pit_init. Volatile: the timer's handler changes it
// behind the back of whatever code is waiting for it.
volatile uint32_t ticks;

void
pit_init(void)
{
/* BEGIN SOLUTION lab2 */
  uint16_t count = (PIT_FREQ + HZ / 2) / HZ;   // 11932: 1193182 / 100, rounded

  outb(PIT_CMD, PIT_SEL0 | PIT_LOHI | PIT_MODE2);
  outb(PIT_CH0, count & 0xFF);
  outb(PIT_CH0, count >> 8);
  pic_unmask(IRQ_TIMER);
/* END SOLUTION */
/* STUDENT lab2: program channel 0 for mode 2 with the count for HZ interrupts a second (low byte, then high byte), then unmask IRQ_TIMER at the PIC */
}

// IRQ 0: one more tick.
void
timer_tick(void)
{
  ticks++;
}
