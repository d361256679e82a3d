// A module bigger than one page, so the next module starts more than a page
// further on: the kernel must print each module's own start and end, not
// assume a size. Its contents are data only; nothing runs it.

const char blob[3 * 4096 + 123] = "ringlab lab 1 data module";

void
_start(void)
{
  for (;;)
    ;
}
