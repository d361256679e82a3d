// The COM1 serial port: the kernel's console. Under QEMU -serial stdio and on
// the lab PC, what the kernel writes here is what you (and the grader) read.
#ifndef SERIAL_H
#define SERIAL_H

void serial_init(void);
void serial_putc(int c);
void serial_drain(void);   // before ending the machine: every byte sent

#endif
