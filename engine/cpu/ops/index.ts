// Every instruction family registers its opcodes in the dispatch table when imported.
import './arith.ts';
import './multiply.ts';
import './bcd.ts';
import './shift.ts';
import './bits.ts';
import './move.ts';
import './stack.ts';
import './string.ts';
import './atomic.ts';
import './control.ts';
import './interrupt.ts';
import './segment.ts';
import './system.ts';
import './x87.ts';
