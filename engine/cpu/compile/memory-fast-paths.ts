// Memory accesses in compiled blocks without a call, where the TLB allows it.
//
// The block compiler's code reads and writes guest memory through the CPU's
// methods (cpu.read32, cpu.push32...). This rewrites those calls in a
// block's finished code into the methods' own fast path, with the call kept
// for everything else. The generated function provides the locals it uses:
// tlb, rm, wm (the CPU's read and write masks), ram, ram32, flatStack,
// segBase and r32, and the scratch variables s and t.

import { TLB_VALID } from '../../memory/tlb.ts';
import { SS } from './code-reader.ts';

/**
 * The block's check for dropped code right after a store that ends its
 * instruction (block-compiler.ts): it goes with the call. The fast path
 * cannot drop code: a page of compiled code fails the write mask (TLB_CODE),
 * so only the call can set cpu.codeChanged.
 */
const CHECK = '( if \\(cpu\\.codeChanged\\) \\{[^}]*\\})?';

/**
 * The TLB fast paths of the CPU's memory and stack methods (linear-memory.ts,
 * cpu.ts), written into the block: an aligned access through an entry that
 * grants it goes straight to RAM, anything else calls the method. In a long
 * block V8 stops inlining the methods after a few, and then every access is
 * a call. The masks cannot change while a block runs (only a CPL change or a
 * debug register does that, never in compiled code); an aligned access
 * cannot cross a page, and an entry that passes the mask has RAM behind it.
 * PUSH and POP take the fast path only on a 32-bit stack whose SS needs no
 * limit check (`flatStack`), and move ESP only once the access is done.
 */
export function inlineMemoryFastPaths(body: string): string {
  const through = (mask: string, address: string) => `(t & ${mask}) === ${TLB_VALID} && (${address} & 3) === 0`;
  const ram32At = (address: string) => `ram32[((t & ~0xfff) ^ ${address}) >>> 2]`;
  return body
    .replace(/cpu\.read32\(a\)/g, `(t = tlb[a >>> 12], ${through('rm', 'a')} ? ${ram32At('a')} : cpu.read32(a))`)
    .replace(new RegExp(`cpu\\.write32\\(a, ([^;]*)\\);${CHECK}`, 'g'), `t = tlb[a >>> 12]; if (${through('wm', 'a')}) ${ram32At('a')} = $1; else { cpu.write32(a, $1);$2 }`)
    .replace(/cpu\.read8\(a\)/g, `(t = tlb[a >>> 12], (t & rm) === ${TLB_VALID} ? ram[((t & ~0xfff) ^ a) >>> 0] : cpu.read8(a))`)
    .replace(new RegExp(`cpu\\.write8\\(a, ([^;]*)\\);${CHECK}`, 'g'), `t = tlb[a >>> 12]; if ((t & wm) === ${TLB_VALID}) ram[((t & ~0xfff) ^ a) >>> 0] = $1; else { cpu.write8(a, $1);$2 }`)
    .replace(new RegExp(`cpu\\.push32\\(([^;]*)\\);${CHECK}`, 'g'), `s = (segBase[${SS}] + r32[4] - 4) | 0; t = tlb[s >>> 12]; ` +
      `if (flatStack && ${through('wm', 's')}) { ${ram32At('s')} = $1; r32[4] = (r32[4] - 4) | 0; } else { cpu.push32($1);$2 }`)
    .replace(/cpu\.pop32\(\)/g, `(s = (segBase[${SS}] + r32[4]) | 0, t = tlb[s >>> 12], ` +
      `flatStack && ${through('rm', 's')} ? (r32[4] = (r32[4] + 4) | 0, ${ram32At('s')}) : cpu.pop32())`);
}
