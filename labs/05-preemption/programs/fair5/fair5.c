// fair5: fair.c with five spinners sharing the CPU while their parent
// sleeps 60 ticks.

#define SPINNERS 5
#define NAP      60
#define SAYS     "fair5: five spinners killed and collected\n"

#include "../fair/fair.c"
