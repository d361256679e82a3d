// Dead lazy-flag records in a compiled block.
//
// Every arithmetic instruction stores its lazy record (flags.ts: operation,
// operands, result, size), whether or not anything reads the flags it
// describes. Inside a block, a record that a later instruction replaces,
// with nothing in between that could see it, is dead. What could see a
// record is anything that reaches the CPU (`cpu.` or a helper `h.`): a
// memory access that may fault (the exception frame holds EFLAGS), a flag
// read from the record, a side exit or the block's end. Register moves and
// conditions read from the block's locals cannot. So a record is dropped
// only across code that names neither (the rest of its own instruction too:
// ADD to memory stores after its record, and a store that drops compiled
// code leaves the block right after it), and only when the replacing
// instruction, without a condition, writes the status flags before it
// reaches the CPU in any other way (ADC, SBB and INC/DEC with an unknown
// carry read the old record first; an operand from memory may fault first).
//
// INC and DEC keep CF in EFLAGS beside their record, and a shift keeps CF
// and OF there: dead too once an instruction that sets CF itself follows
// unseen, but not while only INC and DEC do, which take CF from there.

import { Lazy } from '../flags.ts';

/** One instruction's lazy record, as lazyRecordSource (../ops/arith-semantics.ts) writes it. */
const RECORD = /cpu\.lzOp = (\d+); cpu\.lzA = [^;]*; cpu\.lzB = [^;]*; cpu\.lzR = [^;]*; cpu\.lzSize = \d;/;

/** A shift's CF and OF in EFLAGS, and its record for the rest (shiftRecordSource). */
const SHIFT_FLAGS = /cpu\.flags = \(cpu\.flags & ~\d+\) \| f;/;
const SHIFT_RECORD = /cpu\.lzOp = \d+; cpu\.lzR = r; cpu\.lzSize = \d;/;

/** The carry INC and DEC keep (instruction-compiler.ts keepCarryCode): from the old record, or from the block's locals. */
const CARRY_FROM_RECORD = /cpu\.keepCarry\(\);/;
const CARRY_FROM_LOCALS = /cpu\.flags = \([^;]*\) \? cpu\.flags \| \d+ : cpu\.flags & ~\d+;/;

/** Writes every status flag and reads none: a record (a multiply's too, ../ops/multiply.ts). */
const REPLACES_FLAGS = new RegExp(`${RECORD.source}|${SHIFT_FLAGS.source} ${SHIFT_RECORD.source}`);

/**
 * Reaches the CPU or a helper: anything that may fault, leave the block
 * (a side exit breaks to the block's one exit, block-compiler.ts) or read
 * flags. The high half of a product is a helper that only computes.
 */
const REACHES_CPU = /\bcpu\.|\bh\.(?!mulHigh(Unsigned|Signed)\()|\bbreak leave\b/;

const keepsCarry = (op: number): boolean => op === Lazy.Inc || op === Lazy.Dec;

/**
 * What `code` replaces, unconditionally, before it reaches the CPU in any
 * other way: every status flag ('all'), all but CF (an INC or DEC, 'record'),
 * or nothing (null).
 */
function replaces(code: string): 'all' | 'record' | null {
  const found = REPLACES_FLAGS.exec(code);
  if (found === null) return null;
  const before = code.slice(0, found.index);
  if (/[{}]|\bif\b/.test(before) || REACHES_CPU.test(before.replace(CARRY_FROM_LOCALS, ''))) return null;
  return found[1] !== undefined && keepsCarry(Number(found[1])) ? 'record' : 'all';
}

/** `code` less its flag record, and less the flags it keeps in EFLAGS when `all` of them are replaced. */
function withoutFlags(code: string, all: boolean): string {
  const record = RECORD.exec(code);
  if (record !== null) {
    const carry = all && keepsCarry(Number(record[1])) ? (CARRY_FROM_RECORD.test(code) ? CARRY_FROM_RECORD : CARRY_FROM_LOCALS) : null;
    return (carry === null ? code : code.replace(carry, '')).replace(RECORD, '');
  }
  return (all ? code.replace(SHIFT_FLAGS, '') : code).replace(SHIFT_RECORD, '');
}

/** The instructions' code with every record that a later one replaces unseen left out. */
export function dropDeadFlagRecords(codes: readonly string[]): string[] {
  // Each instruction's code is looked at once here, not once per record before it.
  const replacing = codes.map(replaces);
  const reaching = codes.map((code, j) => REACHES_CPU.test(replacing[j] === 'record' ? code.replace(RECORD, '').replace(CARRY_FROM_LOCALS, '') : code));
  return codes.map((code, k) => {
    const record = RECORD.exec(code) ?? SHIFT_RECORD.exec(code);
    // A store after the record, in the same instruction, may leave the block with the instruction done.
    if (record === null || REACHES_CPU.test(code.slice(record.index + record[0].length))) return code;
    let recordDead = false;
    for (let j = k + 1; j < codes.length; j++) {
      if (replacing[j] === 'all') return withoutFlags(code, true);
      // An INC or DEC: the record is dead, and the carry too if something after it sets CF unseen.
      if (replacing[j] === 'record') recordDead = true;
      if (reaching[j] === true) break;
    }
    return recordDead ? withoutFlags(code, false) : code;
  });
}
