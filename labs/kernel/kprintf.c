// kprintf: the kernel's printf, writing to the serial console. There is no C
// library in a kernel, so every conversion is done here by hand.

#include "kprintf.h"
#include "serial.h"
#include "x86.h"

/* BEGIN SOLUTION lab1 */
static const char digits[] = "0123456789abcdef";

// Print x in the given base, at least `width` characters wide, padded on the
// left with `pad` (' ' or '0'). `negative` puts a minus sign in front.
static void
printnum(uint32_t x, int base, int negative, int width, char pad)
{
  char buf[16];   // 32 bits in base 10 need 10 digits, in base 16 eight
  int n = 0;

  do {
    buf[n++] = digits[x % base];
    x /= base;
  } while (x != 0);

  int len = n + (negative ? 1 : 0);
  if (negative && pad == '0')
    serial_putc('-');                 // -0042: the sign goes before the zeros
  for (; len < width; len++)
    serial_putc(pad);
  if (negative && pad != '0')
    serial_putc('-');                 //   -42: the sign goes after the spaces
  while (n > 0)
    serial_putc(buf[--n]);
}

static void
printstr(const char *s, int width, int left)
{
  int len = 0;

  if (s == NULL)
    s = "(null)";
  while (s[len] != '\0')
    len++;
  for (; !left && len < width; width--)
    serial_putc(' ');
  for (const char *p = s; *p != '\0'; p++)
    serial_putc(*p);
  for (; left && len < width; width--)
    serial_putc(' ');
}
/* END SOLUTION */
/* STUDENT lab1: helpers for vkprintf (printing a number in a base with a width and padding, a string) */

void
vkprintf(const char *fmt, va_list ap)
{
/* BEGIN SOLUTION lab1 */
  for (const char *p = fmt; *p != '\0'; p++) {
    if (*p != '%') {
      serial_putc(*p);
      continue;
    }
    p++;

    // Flags and width: "%-8s", "%08x", "%5d".
    int left = 0;
    char pad = ' ';
    int width = 0;
    if (*p == '-') {
      left = 1;
      p++;
    }
    if (*p == '0') {
      pad = '0';
      p++;
    }
    while (*p >= '0' && *p <= '9')
      width = width * 10 + (*p++ - '0');

    switch (*p) {
    case 'd': {
      int v = va_arg(ap, int);
      // Negate as unsigned: -(-2147483648) does not fit in an int.
      printnum(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0, width, pad);
      break;
    }
    case 'u':
      printnum(va_arg(ap, uint32_t), 10, 0, width, pad);
      break;
    case 'x':
      printnum(va_arg(ap, uint32_t), 16, 0, width, pad);
      break;
    case 'p':
      serial_putc('0');
      serial_putc('x');
      printnum((uint32_t)va_arg(ap, void *), 16, 0, 8, '0');
      break;
    case 'c':
      serial_putc(va_arg(ap, int));
      break;
    case 's':
      printstr(va_arg(ap, const char *), width, left);
      break;
    case '%':
      serial_putc('%');
      break;
    case '\0':
      // A lone % at the end: print it and stop, never read past the string.
      serial_putc('%');
      return;
    default:
      // Unknown conversion: show it as written, so the mistake is visible.
      serial_putc('%');
      serial_putc(*p);
      break;
    }
  }
/* END SOLUTION */
/* STUDENT lab1: walk fmt, copying plain characters to serial_putc and handling %d %u %x %p %c %s %% with an optional width and 0 flag */
}

void
kprintf(const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
}

void
panic(const char *fmt, ...)
{
  va_list ap;

  cli();
  kprintf("panic: ");
  va_start(ap, fmt);
  vkprintf(fmt, ap);
  va_end(ap);
  kprintf("\n");
  // HLT with interrupts off never resumes: the lab PC ends the run here,
  // QEMU sits still with the message on the screen.
  for (;;)
    hlt();
}
