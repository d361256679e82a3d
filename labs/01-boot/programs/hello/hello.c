// The smallest user program: it spins. In lab 1 the kernel does not run it,
// it only lists it as a Multiboot module; lab 3 gives it system calls.

void
_start(void)
{
  for (;;)
    ;
}
