// The two 8259A programmable interrupt controllers of the PC.
#ifndef PIC_H
#define PIC_H

void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);

#endif
