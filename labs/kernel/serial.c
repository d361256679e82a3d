// A driver for the 16550 UART at COM1, transmit only, by polling: the kernel
// waits until the UART can take a byte, then hands it over. Lab 2 adds
// receiving through IRQ 4.

#include "serial.h"
#include "x86.h"

#define COM1        0x3F8

// Registers, as offsets from the base port. With DLAB (LCR bit 7) set, offsets
// 0 and 1 are the two bytes of the baud-rate divisor instead of THR and IER.
#define UART_THR    0   // transmit holding register (write)
#define UART_DLL    0   // divisor latch, low byte (DLAB = 1)
#define UART_IER    1   // interrupt enable
#define UART_DLM    1   // divisor latch, high byte (DLAB = 1)
#define UART_FCR    2   // FIFO control (write)
#define UART_LCR    3   // line control: word length, parity, stop bits, DLAB
#define UART_MCR    4   // modem control
#define UART_LSR    5   // line status

#define LCR_8N1     0x03    // 8 data bits, no parity, 1 stop bit
#define LCR_DLAB    0x80
#define FCR_ENABLE  0x01    // turn the 16-byte FIFOs on
#define FCR_CLEAR   0x06    // empty both FIFOs
#define FCR_TRIG14  0xC0    // receive interrupt when 14 bytes are waiting
#define MCR_DTR     0x01
#define MCR_RTS     0x02
#define MCR_OUT2    0x08    // on a PC, OUT2 connects the UART's interrupt line to the PIC
#define LSR_THRE    0x20    // the transmit holding register is empty
#define LSR_TEMT    0x40    // nothing left to send: FIFO and shift register both empty

// The UART divides a 115200 Hz clock by the divisor.
#define UART_CLOCK  115200
#define BAUD        38400

void
serial_init(void)
{
/* BEGIN SOLUTION lab1 */
  uint16_t divisor = UART_CLOCK / BAUD;

  outb(COM1 + UART_IER, 0);                 // no interrupts until lab 2
  outb(COM1 + UART_LCR, LCR_DLAB);          // expose the divisor latch
  outb(COM1 + UART_DLL, divisor & 0xFF);
  outb(COM1 + UART_DLM, divisor >> 8);
  outb(COM1 + UART_LCR, LCR_8N1);           // clears DLAB as well
  outb(COM1 + UART_FCR, FCR_ENABLE | FCR_CLEAR | FCR_TRIG14);
  outb(COM1 + UART_MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
/* END SOLUTION */
/* STUDENT lab1: program the UART: interrupts off (IER), the baud-rate divisor (DLAB in LCR, then DLL/DLM), 8N1 (LCR), FIFOs on and cleared (FCR), DTR/RTS/OUT2 (MCR) */
}

void
serial_putc(int c)
{
/* BEGIN SOLUTION lab1 */
  // Wait for room in the transmitter. A missing UART reads as 0xFF, which has
  // THRE set, so this cannot hang on a machine without COM1.
  while ((inb(COM1 + UART_LSR) & LSR_THRE) == 0)
    ;
  outb(COM1 + UART_THR, c);
/* END SOLUTION */
/* STUDENT lab1: wait until LSR says the transmit holding register is empty, then write the byte to THR */
}

// Wait until the last byte has left the UART. THRE only says there is room
// for another byte; a byte may still be on its way out (QEMU sends at the
// baud rate), and ending the machine then loses it.
void
serial_drain(void)
{
  while ((inb(COM1 + UART_LSR) & LSR_TEMT) == 0)
    ;
}
