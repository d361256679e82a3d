// The block compiler writes JavaScript as text, so TypeScript never sees the
// CPU fields and helpers that text names (cpu.lzOp, cpu.ip0, h.idiv...): a
// field renamed in state.ts would leave generated code writing a field nobody
// reads, and every run would still pass until flags came out wrong. This test
// holds every name the compiler's sources use after `cpu.` and `h.` against
// a real CPU and the helpers object.

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { helpers } from '../../../engine/cpu/compile/block-compiler.ts';
import { makeCpu } from './harness.ts';

// The instruction families in ops/ hold each instruction's compiled form beside its handler.
const OPS = readdirSync(new URL('../../../engine/cpu/ops/', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => `ops/${f}`);
const SOURCE = ['compile/block-compiler.ts', 'compile/instruction-compiler.ts', 'compile/memory-fast-paths.ts', ...OPS]
  .map((file) => readFileSync(new URL(`../../../engine/cpu/${file}`, import.meta.url), 'utf8'))
  .join('\n');

/** `cpu.write${size * 8}`-style names: the literal part, and whether a template expression completes it. */
function namesAfter(prefix: string): { name: string; partial: boolean }[] {
  const found = new Map<string, boolean>();
  for (const m of SOURCE.matchAll(new RegExp(`(?<![\\w.$/])${prefix}\\.([A-Za-z_][\\w]*)(\\$\\{)?`, 'g'))) {
    // "cpu.ts" in a comment names the file, not a member.
    if (m[1] !== 'ts') found.set(m[1]!, m[2] !== undefined);
  }
  return [...found].map(([name, partial]) => ({ name, partial }));
}

function has(object: object, name: string, partial: boolean): boolean {
  if (!partial) return name in object;
  const all = new Set<string>();
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) all.add(key);
  }
  return [...all].some((key) => key.startsWith(name) && key.length > name.length);
}

describe('the code the block compiler writes names real CPU members', () => {
  it('every cpu.<name> in the generated code\'s sources (the compiler\'s files, the instruction families) is a field or method of CPU', () => {
    const cpu = makeCpu();
    const names = namesAfter('cpu');
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !has(cpu, n.name, n.partial)).map((n) => n.name)).toEqual([]);
    cpu.tlb.release();
  });

  it('every h.<name> is one of the helpers passed to the generated functions', () => {
    const names = namesAfter('h');
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !has(helpers, n.name, n.partial)).map((n) => n.name)).toEqual([]);
  });

  it('a misspelt name would be caught', () => {
    expect(has(makeCpu(), 'lzOpp', false)).toBe(false);
    expect(has(makeCpu(), 'write', true)).toBe(true);
  });
});
