// Fixed-width integer types. The kernel is freestanding: it has no C library,
// but gcc's own <stdint.h>, <stddef.h> and <stdarg.h> need none and are safe to use.
#ifndef TYPES_H
#define TYPES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#endif
