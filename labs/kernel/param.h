// Sizes and limits of the kernel, in one place.
#ifndef PARAM_H
#define PARAM_H

#define KSTACKSIZE  16384   // the boot stack, in bytes (boot.S)

#endif
