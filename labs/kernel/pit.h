// The 8254 programmable interval timer: the kernel's clock.
#ifndef PIT_H
#define PIT_H

#include "types.h"

#define HZ  100     // timer interrupts per second

extern volatile uint32_t ticks;

void pit_init(void);
void timer_tick(void);

#endif
