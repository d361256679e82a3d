// printf for user programs: format into a buffer, then one write system call
// per line (or per full buffer), so a line is never split between processes.

#include "user.h"

uint32_t
strlen(const char *s)
{
  uint32_t n = 0;
  while (s[n])
    n++;
  return n;
}

struct out {
  char buf[128];
  uint32_t n;
};

static void
flush(struct out *o)
{
  if (o->n > 0)
    write(1, o->buf, o->n);
  o->n = 0;
}

static void
put(struct out *o, char c)
{
  o->buf[o->n++] = c;
  if (o->n == sizeof(o->buf) || c == '\n')
    flush(o);
}

static void
putnum(struct out *o, uint32_t x, int base, int negative, int width)
{
  char digits[12];
  int n = 0;

  do {
    digits[n++] = "0123456789abcdef"[x % base];
    x /= base;
  } while (x != 0);
  if (negative)
    put(o, '-');
  for (int i = n; i < width; i++)
    put(o, '0');
  while (n > 0)
    put(o, digits[--n]);
}

void
printf(const char *fmt, ...)
{
  struct out o = { .n = 0 };
  va_list ap;

  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    switch (*++fmt) {
    case 'd': {
      int v = va_arg(ap, int);
      putnum(&o, v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0, 0);
      break;
    }
    case 'u':
      putnum(&o, va_arg(ap, uint32_t), 10, 0, 0);
      break;
    case 'x':
      putnum(&o, va_arg(ap, uint32_t), 16, 0, 0);
      break;
    case 'p':
      put(&o, '0');
      put(&o, 'x');
      putnum(&o, (uint32_t)va_arg(ap, void *), 16, 0, 8);
      break;
    case 'c':
      put(&o, (char)va_arg(ap, int));
      break;
    case 's':
      for (const char *s = va_arg(ap, const char *); *s; s++)
        put(&o, *s);
      break;
    case 0:
      fmt--;
      break;
    default:
      put(&o, *fmt);
      break;
    }
  }
  va_end(ap);
  flush(&o);
}
