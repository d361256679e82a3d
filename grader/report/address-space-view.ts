// An address space as the HTML report draws it: a bar from 0 to 4 GiB with
// each run of pages coloured by who may use it and how (ring 3 or only the
// kernel, writable or not), and the runs listed beside it. Runs of a few
// pages are far narrower than a pixel at this scale, so every run is drawn at
// least MIN_WIDTH wide: the bar shows where things are, the list how big.

import { hexDigits } from '../../engine/hex.ts';
import type { AddressSpace, AddressSpaceRun } from '../model.ts';

const WIDTH = 640;
const MIN_WIDTH = 2;
const FOUR_GIB = 2 ** 32;

export type RunKind = 'user-rw' | 'user-ro' | 'kernel-rw' | 'kernel-ro';

export interface AddressSpaceView {
  cr3: string;
  width: number;
  /** Room on both sides for the first and last tick's label. */
  viewBox: string;
  bars: { x: number; width: number; kind: RunKind; title: string }[];
  ticks: { x: number; label: string }[];
  rows: { range: string; size: string; rights: string; kind: RunKind }[];
  truncated: boolean;
}

export function addressSpaceView(space: AddressSpace): AddressSpaceView {
  return {
    cr3: hexDigits(space.cr3),
    width: WIDTH,
    viewBox: `-24 0 ${WIDTH + 48} 46`,
    bars: space.runs.map((r) => {
      const x = (r.linear / FOUR_GIB) * WIDTH;
      return { x: round(Math.min(x, WIDTH - MIN_WIDTH)), width: round(Math.max(MIN_WIDTH, (r.size / FOUR_GIB) * WIDTH)), kind: kindOf(r), title: `${range(r)} ${rights(r)}` };
    }),
    ticks: [0, 1, 2, 3, 4].map((g) => ({ x: (g / 4) * WIDTH, label: `${g} GiB` })),
    rows: space.runs.map((r) => ({ range: range(r), size: size(r.size), rights: rights(r), kind: kindOf(r) })),
    truncated: space.truncated,
  };
}

function kindOf(r: AddressSpaceRun): RunKind {
  return `${r.user ? 'user' : 'kernel'}-${r.writable ? 'rw' : 'ro'}`;
}

function rights(r: AddressSpaceRun): string {
  return `${r.user ? 'user' : 'kernel only'}, ${r.writable ? 'read-write' : 'read-only'}`;
}

function range(r: AddressSpaceRun): string {
  return `${hexDigits(r.linear)}-${hexDigits((r.linear + r.size - 1) >>> 0)}`;
}

function size(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  return `${bytes / 1024} KiB`;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** The terminal's version: one line per address space, its first runs as start+size and rights. */
export function addressSpaceLine(space: AddressSpace, max = 6): string {
  const short = (r: AddressSpaceRun) => `${hexDigits(r.linear)}+${size(r.size).replace(' ', '')} ${r.user ? 'user' : 'kernel'} ${r.writable ? 'rw' : 'ro'}`;
  const shown = space.runs.slice(0, max).map(short).join(' | ');
  const more = space.runs.length > max || space.truncated ? ' | ...' : '';
  return `memory (CR3 ${hexDigits(space.cr3)}): ${shown || 'nothing mapped'}${more}`;
}
