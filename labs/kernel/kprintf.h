// Formatted output to the console, and panic.
#ifndef KPRINTF_H
#define KPRINTF_H

#include "types.h"

// Conversions: %d %u %x %p %c %s %%. A width may precede d, u, x and s
// ("%8x", "%-10s"); a leading 0 pads numbers with zeros ("%08x").
// %p prints 0x and eight hex digits.
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vkprintf(const char *fmt, va_list ap);

// Print "panic: " and the message on one line, then stop the machine for good.
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
