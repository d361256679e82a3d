// Dead lazy-flag records in a compiled block.
//
// Every arithmetic instruction stores its lazy record (flags.ts: operation,
// operands, result, size), whether or not anything reads the flags it
// describes. Inside a block, a record that a later instruction replaces,
// with nothing in between that could see it, is dead: the one after it
// describes every status flag on its own. What could see a record is
// anything that reaches the CPU (`cpu.` or a helper `h.`): a memory access
// that may fault (the exception frame holds EFLAGS), a flag read from the
// record, a side exit or the block's end. Register moves and conditions
// read from the block's locals cannot. So a record is dropped only across
// code that names neither, and only when the replacing instruction, without
// a condition, writes all the status flags before it reaches the CPU in any
// other way (ADC, SBB and INC/DEC with an unknown carry read the old record
// first; an operand from memory may fault first).

/** One instruction's lazy record, as lazyRecordSource (../ops/arith-semantics.ts) writes it. */
const RECORD = /cpu\.lzOp = \d+; cpu\.lzA = [^;]*; cpu\.lzB = [^;]*; cpu\.lzR = [^;]*; cpu\.lzSize = \d;/;

/**
 * A shift's record (shiftRecordSource): CF and OF go into EFLAGS, which a
 * later INC or DEC may keep, so only the record after them is dropped.
 */
const SHIFT_FLAGS = /cpu\.flags = \(cpu\.flags & ~\d+\) \| f;/;
const SHIFT_RECORD = /cpu\.lzOp = \d+; cpu\.lzR = r; cpu\.lzSize = \d;/;

/** Writes every status flag and reads none: a record, or a multiply helper (../ops/multiply.ts). */
const REPLACES_FLAGS = new RegExp(`${RECORD.source}|${SHIFT_FLAGS.source} ${SHIFT_RECORD.source}|h\\.(mul32|imul32|imul32OneOperand)\\(`);

/** Reaches the CPU or a helper: anything that may fault, leave the block or read flags. */
const REACHES_CPU = /cpu\.|h\./;

/** INC/DEC's carry kept from the block's locals (instruction-compiler.ts keepCarryCode): writes CF, reads no record. */
const CARRY_FROM_LOCALS = /cpu\.flags = \([^;]*\) \? cpu\.flags \| \d+ : cpu\.flags & ~\d+;/g;

/** True when `code` writes all the status flags, unconditionally, before it reaches the CPU in any other way. */
function replacesFlags(code: string): boolean {
  const at = code.search(REPLACES_FLAGS);
  if (at < 0) return false;
  const before = code.slice(0, at);
  return !/[{}]|\bif\b/.test(before) && !REACHES_CPU.test(before.replace(CARRY_FROM_LOCALS, ''));
}

/** The instructions' code with every record that a later one replaces unseen left out. */
export function dropDeadFlagRecords(codes: readonly string[]): string[] {
  return codes.map((code, k) => {
    const record = RECORD.test(code) ? RECORD : SHIFT_RECORD.test(code) ? SHIFT_RECORD : null;
    if (record === null) return code;
    for (let j = k + 1; j < codes.length; j++) {
      if (replacesFlags(codes[j]!)) return code.replace(record, '');
      if (REACHES_CPU.test(codes[j]!)) break;
    }
    return code;
  });
}
