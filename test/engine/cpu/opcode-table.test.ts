// The dispatch table is built from the instruction families, one handler per opcode.
import { describe, expect, it } from 'vitest';
import { table } from '../../../engine/cpu/dispatch.ts';
import { buildOpcodeTable, OpcodeFamily, TABLE_SIZE } from '../../../engine/cpu/opcode-family.ts';

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
});
