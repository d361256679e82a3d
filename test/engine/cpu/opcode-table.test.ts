// The dispatch table is built from the instruction families, one handler per
// opcode; the block compiler's compiled forms come from the same families.
import { describe, expect, it } from 'vitest';
import { emitters, table, undefinedOpcode } from '../../../engine/cpu/dispatch.ts';
import { buildEmitTable, buildOpcodeTable, OpcodeFamily, TABLE_SIZE, TWO_BYTE, O16 } from '../../../engine/cpu/opcode-family.ts';

describe('the opcode table', () => {
  it('refuses an opcode that two families define, naming both', () => {
    const first = new OpcodeFamily('ops/first.ts');
    const second = new OpcodeFamily('ops/second.ts');
    first.def0F(0xb1, () => {}, () => {});
    second.def2(0x90, () => {}, () => {});
    second.def0F(0xb1, () => {});
    expect(() => buildOpcodeTable([first, second], () => {})).toThrow(/0F B1 is defined twice, by ops\/first\.ts and by ops\/second\.ts/);
  });

  it('refuses a family that defines one opcode twice', () => {
    const family = new OpcodeFamily('ops/one.ts');
    family.def(0x90, () => {}, '16');
    family.def2(0x90, () => {}, () => {});
    expect(() => buildOpcodeTable([family], () => {})).toThrow(/66 90 is defined twice/);
  });

  it('leaves the fallback where no family defines an opcode', () => {
    const fallback = () => {};
    const family = new OpcodeFamily('ops/one.ts');
    const nop = () => {};
    family.def(0x90, nop, '32');
    const built = buildOpcodeTable([family], fallback);
    expect(built).toHaveLength(TABLE_SIZE);
    expect(built[0x90]).toBe(nop);
    expect(built[0x190]).toBe(fallback);
  });

  it('holds a handler for every index of the engine\'s maps', () => {
    expect(table).toHaveLength(TABLE_SIZE);
    expect(table.every((op) => typeof op === 'function')).toBe(true);
  });

  it('refuses a compiled form for an opcode its family does not interpret', () => {
    const move = new OpcodeFamily('ops/move.ts');
    const stack = new OpcodeFamily('ops/stack.ts');
    move.def2(0x89, () => {}, () => {});
    stack.def(0x50, () => {}, '32');
    stack.emit(0x89, () => null);
    expect(() => buildEmitTable([move, stack])).toThrow(/ops\/stack\.ts compiles opcode 89 but does not interpret it/);
    // Its 16-bit form and its 0F form are other opcodes.
    const only16 = new OpcodeFamily('ops/only16.ts');
    only16.def(0xb6, () => {}, '16', true);
    only16.emit(0xb6, () => null, '0F');
    expect(() => buildEmitTable([only16])).toThrow(/compiles opcode 0F B6 but does not interpret it/);
  });

  it('refuses two compiled forms of one opcode', () => {
    const family = new OpcodeFamily('ops/one.ts');
    family.def2(0x89, () => {}, () => {});
    family.emit(0x89, () => null);
    family.emit(0x89, () => null, '66');
    expect(buildEmitTable([family])[0x89 | O16]).toBeDefined();
    family.emit([0x89], () => null);
    expect(() => buildEmitTable([family])).toThrow(/opcode 89 is compiled twice/);
  });

  it('puts each compiled form at its opcode\'s index, 0F and 66 forms apart', () => {
    const family = new OpcodeFamily('ops/one.ts');
    const one = () => null;
    const twoByte = () => null;
    family.def2(0x89, () => {}, () => {});
    family.def0F(0xaf, () => {});
    family.emit(0x89, one);
    family.emit(0xaf, twoByte, '0F');
    const built = buildEmitTable([family]);
    expect(built).toHaveLength(TABLE_SIZE);
    expect(built[0x89]).toBe(one);
    expect(built[0xaf | TWO_BYTE]).toBe(twoByte);
    expect(built.filter((e) => e !== undefined)).toHaveLength(2);
  });

  it('compiles the forms gcc puts in hot code, each beside a handler that is not #UD', () => {
    const compiled = emitters.flatMap((e, index) => (e === undefined ? [] : [index]));
    // ALU, moves, stack, jumps and calls in the one-byte map; Jcc, SETcc, CMOVcc, MOVZX/MOVSX, IMUL in the 0F map.
    for (const index of [0x01, 0x89, 0x8b, 0x50, 0xe8, 0xc3, 0x74, 0x84 | TWO_BYTE, 0x94 | TWO_BYTE, 0x44 | TWO_BYTE, 0xb6 | TWO_BYTE, 0xaf | TWO_BYTE, 0x89 | O16]) {
      expect(compiled).toContain(index);
    }
    for (const index of compiled) expect(table[index]).not.toBe(undefinedOpcode);
  });
});
